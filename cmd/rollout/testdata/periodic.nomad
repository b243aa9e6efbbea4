# A periodic job: Nomad launches batch
# children on a schedule, which no deployment tracks.
job "nightly" {
  type = "batch"
  periodic {
    crons            = ["0 3 * * *"]
    prohibit_overlap = true
  }
  group "run" {
    task "backup" {
      driver = "exec"
      config {
        command = "/bin/backup"
      }
    }
  }
}
