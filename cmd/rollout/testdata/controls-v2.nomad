# A job that uses rollout's controls beyond Nomad's update block: a rolling
# update with surge, checkpoints and a gate timeout.
job "checkout" {
  update {
    max_parallel    = 2
    max_surge       = 1
    max_unavailable = "25%"
  }

  group "api" {
    count = 8

    update {
      pause_after     = [1, "50%"]
      gate_timeout    = "30m"
      on_gate_timeout = "resume"
    }

    task "server" {
      driver = "docker"
      config {
        image = "checkout:2.2"
      }
    }
  }
}
