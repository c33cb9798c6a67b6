# mercure-receiver.nomad.hcl - the DICOM endpoint: one receiver on every ingress node (a system job
# constrained to node meta dicom_ingress = "true"), bound to 0.0.0.0:11112 so that it also answers
# on the virtual IP that keepalived (nomad/mercure-vip.nomad.hcl) moves between the ingress nodes.
# Nomad service "mercure-receiver" with a TCP check, for operators and monitoring; senders use the
# VIP. mercure.yaml (/etc/mercure on every node, outside the shared storage: it holds targets'
# secrets) must say port: 11112 and receiver.bind: 0.0.0.0.
# Variable "driver": raw_exec (default) runs the Debian package's receiver (/usr/bin) on the node
# as its user mercure, writing to the shared storage by its host path (the group volume only places
# it on nodes that have it); docker runs the image (variable "image", configs/container/) on the
# node's network, with the storage mounted at storage_mount (= storage_root) and mercure.yaml bound
# read-only (the client's docker plugin needs volumes enabled: nomad/client.hcl).
#   nomad job run nomad/mercure-receiver.nomad.hcl
#   nomad job run -var driver=docker -var image=registry.example/mercure-c:0.1.0 nomad/mercure-receiver.nomad.hcl

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}
variable "driver" {
  type    = string
  default = "raw_exec"
}
variable "receiver_path" {
  type    = string
  default = "/usr/bin/mercure-receiver"
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

job "mercure-receiver" {
  type        = "system"
  datacenters = var.datacenters

  constraint {
    attribute = "${meta.dicom_ingress}"
    value     = "true"
  }

  group "receiver" {
    network {
      port "dicom" {
        static = 11112
      }
    }

    service {
      name     = "mercure-receiver"
      port     = "dicom"
      provider = "nomad"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    volume "storage" {
      type      = "host"
      source    = "mercure-storage"
      read_only = false
    }

    task "receiver" {
      driver = var.driver
      user   = var.user

      # raw_exec, exec: the package's receiver on the node
      dynamic "config" {
        for_each = var.driver == "docker" ? [] : [1]

        content {
          command = var.receiver_path
          args    = ["--config", var.config_file]
        }
      }

      # docker: the image's receiver on the node's network (0.0.0.0, so the VIP is served too)
      dynamic "config" {
        for_each = var.driver == "docker" ? [1] : []

        content {
          image        = var.image
          command      = var.receiver_path
          args         = ["--config", var.config_file]
          network_mode = "host"
          volumes      = ["${var.config_file}:${var.config_file}:ro"]
        }
      }

      # raw_exec cannot mount: it writes to the storage by its host path
      dynamic "volume_mount" {
        for_each = var.driver == "raw_exec" ? [] : [1]

        content {
          volume      = "storage"
          destination = var.storage_mount
          read_only   = false
        }
      }

      resources {
        cpu    = 1000
        memory = 512
      }

      # SIGTERM: stop accepting, finish the associations in progress
      kill_timeout = "60s"
    }
  }
}
