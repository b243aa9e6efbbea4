# Two groups with update blocks, as Nomad's multi-group deployment jobs;
# two-groups-v2.nomad changes both, so -fail v1:api fails only api's.
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
        image = "api:1"
      }
    }
  }
  group "web" {
    count = 2
    task "web" {
      driver = "docker"
      config {
        image = "web:1"
      }
    }
  }
}
