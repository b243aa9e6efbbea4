job "broken" {
  group "web" {
    count = "two"

    update {
      min_healthy_time = "soon"
      max_parallel     = true
    }

    task "server" {
      dynamic "template" {
        for_each = 3
        content {}
      }
    }
  }
}
