# client.hcl - what each Nomad client agent needs for mercure (merge into the agent's config).
# Every node: the shared storage as host volume "mercure-storage" (the same path everywhere, and the
# same as storage_root in mercure.yaml), the Debian package (programs in /usr/bin, user mercure with
# the same uid everywhere: it owns the storage) or the image, and the drivers the jobs use. Ingress nodes also get
# meta dicom_ingress = "true"; the coordinator's node gets meta mercure_coordinator = "true" and a
# host volume on local disk for its SQLite file.

client {
  enabled = true

  host_volume "mercure-storage" {
    path      = "/srv/mercure"
    read_only = false
  }

  # ingress nodes only:
  # meta {
  #   dicom_ingress = "true"
  # }

  # the coordinators' nodes only (two at least: the job runs a leader and a standby):
  # meta {
  #   mercure_coordinator = "true"
  # }
}

# the receiver (as user mercure) and keepalived (root) run under raw_exec, which is off by default;
# the coordinator and the workers under exec
plugin "raw_exec" {
  config {
    enabled = true
  }
}

# with -var driver=docker (the image) the jobs bind /etc/mercure/mercure.yaml into the container:
# plugin "docker" {
#   config {
#     volumes {
#       enabled = true
#     }
#   }
# }
