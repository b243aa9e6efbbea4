job "shop" {
  update {
    max_parallel = 1
    canary       = 1
  }

  group "web" {
    count = 2

    update {
      max_parallel = 5
      auto_promote = true
    }

    task "server" {
      driver = "docker"
    }
  }

  group "api" {
    count = 2

    task "server" {
      driver = "docker"
    }
  }
}
