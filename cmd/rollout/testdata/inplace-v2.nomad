# inplace-v1.nomad with only in-place changes: restart attempts, a tag, the task's shutdown_delay.
job "shop" {
  datacenters = ["dc1"]

  group "cache" {
    count = 2

    network {
      port "db" {
        to = 6379
      }
    }

    restart {
      attempts = 3
      interval = "30m"
    }

    service {
      name = "redis"
      port = "db"
      tags = ["cache", "v2"]

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
        args  = ["--appendonly", "yes"]
      }
      shutdown_delay = "10s"
    }
  }
}
