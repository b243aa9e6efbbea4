# web-v1.nomad with the group meta and the port mapping changed: destructive.
job "web" {
  datacenters = ["dc1", "dc2"]

  meta {
    team = "shop"
  }

  group "frontend" {
    count = 3

    update {
      max_parallel = 1
      canary       = 1
    }

    ephemeral_disk {
      size = 300
    }

    meta {
      tier = "edge"
    }

    network {
      port "http" {
        to = 9090
      }
    }

    service {
      name        = "frontend"
      port        = "http"
      tags        = ["web", "v1", "public"]
      canary_tags = ["canary"]

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
        image = "example/web:1.0"
        ports = ["http"]
      }

      env {
        LOG_LEVEL = "info"
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
