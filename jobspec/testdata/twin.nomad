# One job written twice: here as a job file, in twin.json as `nomad job
# inspect` prints it, with the zero values and Nomad's defaults of the
# fields this file leaves unset (logs, resources, a service's provider,
# a check's name, ...).
job "twin" {
  datacenters = ["dc1"]
  type        = "service"

  meta {
    owner = "team-a"
  }

  group "web" {
    count = 2

    update {
      max_parallel = 1
    }

    restart {
      attempts = 3
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    ephemeral_disk {
      size = 500
    }

    network {
      port "http" {
        to = 8080
      }
    }

    service {
      name = "twin-web"
      port = "http"
      tags = ["web"]

      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "docker"

      config {
        image = "example/twin:1.0"
        ports = ["http"]
        args  = ["-listen", ":8080"]
      }

      env {
        MODE = "prod"
      }

      kill_timeout = "10s"
    }
  }
}
