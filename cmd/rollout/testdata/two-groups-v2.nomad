# two-groups-v1.nomad with both images changed.
job "shop" {
  update {
    max_parallel     = 1
    min_healthy_time = "2s"
    healthy_deadline = "1m"
    auto_revert      = true
  }
  group "api" {
    count = 2
    task "api" {
      driver = "docker"
      config {
        image = "api:2"
      }
    }
  }
  group "web" {
    count = 2
    task "web" {
      driver = "docker"
      config {
        image = "web:2"
      }
    }
  }
}
