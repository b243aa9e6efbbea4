# A sysbatch job: one run on every node, outside the update block's scope.
job "sweep" {
  type = "sysbatch"
  group "run" {
    task "sweep" {
      driver = "exec"
      config {
        command = "/bin/sweep"
      }
    }
  }
}
