job "problems" {
  update {
    max_parallel = 0
  }

  group "web" {
    count = 2

    update {
      canary       = 3
      auto_promote = true
    }

    task "server" {
      driver = "docker"
      config {
        image = "web:1"
      }
    }
  }

  group "web" {
    task "server" {
      driver = "docker"
    }
  }
}
