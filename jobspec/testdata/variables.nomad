variable "image" {
  type    = string
  default = "nginx:1.25.0"
}

variable "count" {
  default = 2
}

locals {
  name = "nginx-${local.suffix}"
  suffix = "updater"
}

job "nginx-updater" {
  datacenters = ["dc1"]
  type        = "service"

  meta {
    team = "web"
  }

  update {
    max_parallel     = 1
    min_healthy_time = "10s"
    healthy_deadline = "3m"
    auto_revert      = true
  }

  group "web" {
    count = var.count

    network {
      port "http" {
        to = 80
      }
    }

    reschedule {
      delay     = "15s"
      max_delay = "5m"
      unlimited = false
      attempts  = 3
      interval  = "1h"
    }

    restart {
      attempts = 2
      interval = "30m"
    }

    service {
      name = local.name
      port = "http"
      check {
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
      check {
        name      = "ready"
        type      = "tcp"
        interval  = "10s"
        timeout   = "2s"
        on_update = "ignore"
      }
    }

    task "nginx-server" {
      driver = "docker"
      config {
        image = var.image
        ports = ["http"]
      }
      env {
        NODE = "${node.unique.name}"
        PORT = "${NOMAD_PORT_http}"
      }
      template {
        data        = "upstream { server {{ env \"NOMAD_ADDR_http\" }}; }"
        destination = "local/nginx.conf"
      }
      artifact {
        source = "https://example.com/site.tar.gz"
      }
      resources {
        cpu    = 100
        memory = 64
      }
      kill_timeout = "20s"
    }
  }
}
