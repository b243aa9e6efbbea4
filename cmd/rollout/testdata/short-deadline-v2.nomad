# short-deadline-v1.nomad with another image.
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
        image = "web:2"
      }
    }
  }
}
