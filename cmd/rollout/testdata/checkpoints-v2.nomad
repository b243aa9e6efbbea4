# A rolling update with surge and checkpoints, without gate timeouts:
# `rollout simulate` resumes it at each checkpoint, as an operator would.
job "checkout" {
  update {
    max_parallel    = 2
    max_surge       = 1
    max_unavailable = "25%"
  }

  group "api" {
    count = 8

    update {
      pause_after = [1, "50%"]
    }

    task "server" {
      driver = "docker"
      config {
        image = "checkout:2.2"
      }
    }
  }
}
