# A system job: one allocation of "agent" on every eligible node, updated
# two nodes at a time after a canary on a quarter of them.
job "node-agent" {
  datacenters = ["dc1"]
  type        = "system"

  update {
    max_parallel     = 2
    canary           = 25
    min_healthy_time = "10s"
    healthy_deadline = "3m"
    auto_revert      = true
    stagger          = "30s"
  }

  group "agent" {
    task "agent" {
      driver = "docker"

      config {
        image = "example/node-agent:1.4"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
