# The node agent of jobspec/testdata/system-agent.nomad, version 1.5: one
# canary on a quarter of the nodes, promoted, then two nodes at a time.
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
        image = "example/node-agent:1.5"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
