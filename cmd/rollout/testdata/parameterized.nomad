# A parameterized job: dispatched on demand, never deployed.
job "encode" {
  type = "batch"
  parameterized {
    payload       = "required"
    meta_required = ["input"]
  }
  group "run" {
    task "encode" {
      driver = "exec"
      config {
        command = "/bin/encode"
      }
    }
  }
}
