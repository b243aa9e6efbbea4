# A job with a 2s healthy_deadline, as Nomad's rescheduling e2e jobs: the
# simulator's default start delay fits inside it, so it deploys healthy.
job "tight" {
  update {
    max_parallel     = 1
    min_healthy_time = "1s"
    healthy_deadline = "2s"
    auto_revert      = true
  }
  group "web" {
    count = 2
    task "server" {
      driver = "docker"
      config {
        image = "web:1"
      }
    }
  }
}
