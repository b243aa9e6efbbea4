# A batch job, as Nomad's e2e batch jobs: the update block does not apply.
job "report" {
  type = "batch"
  group "run" {
    task "report" {
      driver = "exec"
      config {
        command = "/bin/report"
      }
    }
  }
}
