# inplace-v1.nomad with one argument of the task's config changed: a destructive update.
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
      attempts = 2
      interval = "30m"
    }

    service {
      name = "redis"
      port = "db"
      tags = ["cache", "v1"]

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
        args  = ["--appendonly", "no"]
      }
      shutdown_delay = "5s"
    }
  }
}
