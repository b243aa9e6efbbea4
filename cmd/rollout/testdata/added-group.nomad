# cache-v1.nomad with a third group, "worker": `rollout plan` lists it as added.
job "shop" {
  group "web" {
    count = 2
    update {
      max_parallel = 1
    }
    task "server" {
      driver = "docker"
      config {
        image = "shop:1.0"
      }
    }
  }

  group "cache" {
    count = 3
    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
      }
    }
  }

  group "worker" {
    count = 1
    task "work" {
      driver = "exec"
      config {
        command = "/bin/work"
        args    = ["-queue", "jobs"]
      }
    }
  }
}
