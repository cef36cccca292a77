#!/usr/bin/python3
"""Reads guestinfo the way cloud-init's VMware datasource does, using Debian's cloud-init itself.

The test passes the VM's extraConfig values (read back from the simulator through govmomi) in
cloud-init's own environment transport (VMX_GUESTINFO=1, VMX_GUESTINFO_METADATA[_ENCODING],
VMX_GUESTINFO_USERDATA[_ENCODING]); this script decodes them with the datasource's functions,
parses the network config with cloud-init's network_state (skip_broken=False: errors raise),
renders it with cloud-init's netplan renderer, and prints JSON:
  {"metadata": {...without network...}, "netplan": "<yaml>", "userdata": "<text>"}
"""
import json
import sys

from cloudinit.net import netplan, network_state
from cloudinit.sources import DataSourceVMware as ds

md = ds.guestinfo_envvar("metadata")
ud = ds.guestinfo_envvar("userdata")
if md is None or ud is None:
    sys.exit("metadata or userdata missing from the VMX_GUESTINFO_* environment")
meta = ds.process_metadata(ds.load_json_or_yaml(md))
state = network_state.parse_net_config_data(meta["network"]["config"], skip_broken=False)
rendered = netplan.Renderer()._render_content(state)
meta.pop("network")
print(json.dumps({"metadata": meta, "netplan": rendered, "userdata": ud}))
