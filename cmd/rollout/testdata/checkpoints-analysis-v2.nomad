# The checkpoints of checkpoints-v2.nomad, each judged by a canary analysis:
# `rollout simulate` does not resume a checkpoint while its analysis runs; a
# passing analysis resumes it.
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
      analysis {
        interval = "30s"
        measurements = 1
        check "e" {
          provider = "p"
          query = "q"
        }
      }
    }

    task "server" {
      driver = "docker"
      config {
        image = "checkout:2.2"
      }
    }
  }
}
