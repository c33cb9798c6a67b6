# mercure-coordinator.nomad.hcl - the coordinators: two instances (a service job, count 2) on two
# different nodes (distinct_hosts) among those with node meta mercure_coordinator = "true". One leads:
# it holds the Nomad Variables lock scheduler.leader_lock (default mercure/coordinator; docs/nomad.md
# has its ACL policy), listens for the receivers' and workers' messages on the static port "nng" and
# keeps the SQLite bookkeeping at <storage_root>/mercure.sqlite on the shared storage, opened only
# while it holds the lock. The other waits for the lock and listens on nothing, so the TCP check of
# the service "mercure-coordinator" passes only where the leader runs: coordinator_url in
# mercure.yaml names an address that follows it (docs/nomad.md, "Two coordinators"). It reads
# mercure.yaml from /etc/mercure, outside the shared storage (the file holds targets' passwords and
# tokens; the same file, mode 0600 for the service user, on every node that runs a worker: workers
# read those secrets from it), and registers and dispatches the worker job itself
# (nomad/mercure-worker.nomad.hcl) with the token kept in the Nomad variable
# nomad/jobs/mercure-coordinator (key "token"; see docs/nomad.md for its ACL policy).
# Variable "driver": exec (default) runs the Debian package's coordinator (/usr/bin) as its user
# mercure; docker runs the image (variable "image", configs/container/) on the node's network with
# mercure.yaml bound read-only (the client's docker plugin needs volumes enabled: nomad/client.hcl).
# Both mount the storage. The workers' driver is the coordinator's scheduler.driver setting
# (docs/nomad.md).
#   nomad job run -var 'datacenters=["dc1"]' nomad/mercure-coordinator.nomad.hcl
#   nomad job run -var driver=docker -var image=registry.example/mercure-c:0.1.0 nomad/mercure-coordinator.nomad.hcl

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}
variable "driver" {
  type    = string
  default = "exec"
}
variable "coordinator_path" {
  type    = string
  default = "/usr/bin/mercure-coordinator"
}
variable "image" {
  type    = string
  default = ""
}
variable "user" {
  type    = string
  default = "mercure"
}
variable "storage_mount" {
  type    = string
  default = "/srv/mercure"
}
variable "config_file" {
  type    = string
  default = "/etc/mercure/mercure.yaml"
}

job "mercure-coordinator" {
  type        = "service"
  datacenters = var.datacenters

  constraint {
    attribute = "${meta.mercure_coordinator}"
    value     = "true"
  }

  # the standby on another node than the leader
  constraint {
    operator = "distinct_hosts"
    value    = "true"
  }

  group "coordinator" {
    count = 2

    network {
      port "nng" {
        static = 7400
      }
      # the HTTP API (docs/http.md): mercure.yaml's http block must listen
      # here, on an address the node's Nomad agent reaches (http.bind,
      # http.port: 8080)
      port "http" {
        static = 8080
      }
    }

    # passing only on the leader: the standby does not listen on "nng"
    service {
      name     = "mercure-coordinator"
      port     = "nng"
      provider = "nomad"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    # ready: configuration loaded, storage writable, the loop answering;
    # a standby serves no HTTP, so this check too passes on the leader only
    service {
      name     = "mercure-coordinator-http"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/readyz"
        interval = "10s"
        timeout  = "3s"
      }
    }

    restart {
      attempts = 10
      interval = "30m"
      delay    = "15s"
      mode     = "delay"
    }

    volume "storage" {
      type      = "host"
      source    = "mercure-storage"
      read_only = false
    }

    task "coordinator" {
      driver = var.driver
      user   = var.user

      # exec: the package's coordinator on the node
      dynamic "config" {
        for_each = var.driver == "docker" ? [] : [1]

        content {
          command = var.coordinator_path
          args    = ["--config", var.config_file]
        }
      }

      # docker: the image's coordinator on the node's network
      dynamic "config" {
        for_each = var.driver == "docker" ? [1] : []

        content {
          image        = var.image
          command      = var.coordinator_path
          args         = ["--config", var.config_file]
          network_mode = "host"
          volumes      = ["${var.config_file}:${var.config_file}:ro"]
        }
      }

      volume_mount {
        volume      = "storage"
        destination = var.storage_mount
      }

      # NOMAD_TOKEN for the coordinator's own Nomad calls, from a Nomad variable
      template {
        data        = "NOMAD_TOKEN={{ with nomadVar \"nomad/jobs/mercure-coordinator\" }}{{ .token }}{{ end }}\n"
        destination = "secrets/nomad.env"
        env         = true
      }

      env {
        NOMAD_ADDR = "http://${attr.unique.network.ip-address}:4646"
      }

      resources {
        cpu    = 1000
        memory = 512
      }

      # SIGTERM: the loop finishes its iteration, commits the bookkeeping and
      # releases the lock, so the standby takes over at once
      kill_timeout = "30s"
    }
  }
}
