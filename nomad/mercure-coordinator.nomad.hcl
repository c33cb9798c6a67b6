# mercure-coordinator.nomad.hcl - the coordinator: one instance (a service job, count 1) on the node
# that keeps its SQLite bookkeeping on local disk (node meta mercure_coordinator = "true" and the
# host volume "mercure-coordinator-db"; never NFS). It reads mercure.yaml from /etc/mercure, outside
# the shared storage (the file holds targets' passwords and tokens; the same file, mode 0600 for the
# service user, on every node that runs a worker: workers read those secrets from it), listens for the receivers' and workers' messages on the static port "nng" (coordinator_url in
# mercure.yaml: tcp://<this node's name>:7400), and registers and dispatches the worker job itself
# (nomad/mercure-worker.nomad.hcl) with the token kept in the Nomad variable
# nomad/jobs/mercure-coordinator (key "token"; see docs/nomad.md for its ACL policy).
#   nomad job run -var 'datacenters=["dc1"]' nomad/mercure-coordinator.nomad.hcl

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}
variable "coordinator_path" {
  type    = string
  default = "/usr/local/bin/mercure-coordinator"
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

  group "coordinator" {
    count = 1

    network {
      port "nng" {
        static = 7400
      }
    }

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

    volume "db" {
      type      = "host"
      source    = "mercure-coordinator-db"
      read_only = false
    }

    task "coordinator" {
      driver = "exec"

      config {
        command = var.coordinator_path
        args    = ["--config", var.config_file, "--db", "/var/lib/mercure/mercure.sqlite"]
      }

      volume_mount {
        volume      = "storage"
        destination = var.storage_mount
      }

      volume_mount {
        volume      = "db"
        destination = "/var/lib/mercure"
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

      # SIGTERM: the loop finishes its iteration and commits the bookkeeping
      kill_timeout = "30s"
    }
  }
}
