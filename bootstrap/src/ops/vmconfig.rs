//! VirtualMachineConfigSpec XML for CreateVM_Task / ReconfigVM_Task, and the owner marker.
//!
//! Element order follows the vim25 WSDL sequences (real hostd rejects out-of-order fields).

use std::collections::BTreeMap;

use crate::plan::PlannedVm;
use crate::vsphere::MoRef;
use crate::vsphere::client::extra_config_xml;
use crate::vsphere::xml::escape;

const MARKER: &str = "Managed by bootstrap (keep this line):";

/// The owner marker kept in the VM's annotation (notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub cluster: String,
    /// `load-balancer`, `control-plane`, `worker` or `image`.
    pub role: String,
    pub fields: BTreeMap<String, String>,
}

impl Owner {
    pub fn annotation(&self) -> String {
        let mut s = format!("{MARKER} cluster={} role={}", self.cluster, self.role);
        for (k, v) in &self.fields {
            s.push_str(&format!(" {k}={v}"));
        }
        s.push('\n');
        s
    }

    pub fn parse(annotation: &str) -> Option<Owner> {
        let line = annotation.lines().find(|l| l.starts_with(MARKER))?;
        let mut fields: BTreeMap<String, String> = line[MARKER.len()..]
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(Owner {
            cluster: fields.remove("cluster")?,
            role: fields.remove("role")?,
            fields,
        })
    }
}

pub const SCSI_KEY: i32 = -100;

/// Inputs for one VM's CreateVM_Task config.
pub struct CreateSpec<'a> {
    pub vm: &'a PlannedVm,
    pub datastore: &'a str,
    pub port_group: &'a str,
    pub network: Option<&'a MoRef>,
    /// "[ds] name/name.vmdk" (already copied from the base image).
    pub disk_path: &'a str,
    /// Capacity of the copied disk; grown to the plan afterwards.
    pub disk_capacity_kb: u64,
    pub guestinfo: &'a [(String, String)],
    pub owner: &'a Owner,
}

pub fn create_config(c: &CreateSpec<'_>) -> String {
    let vm = c.vm;
    let mut extra: Vec<(String, String)> = c.guestinfo.to_vec();
    extra.push(("disk.EnableUUID".into(), "TRUE".into()));
    format!(
        "<name>{name}</name>\
         <guestId>ubuntu64Guest</guestId>\
         <annotation>{annotation}</annotation>\
         <files><vmPathName>[{ds}]</vmPathName></files>\
         <numCPUs>{cpus}</numCPUs>\
         <memoryMB>{mem}</memoryMB>\
         <deviceChange><operation>add</operation>\
         <device xsi:type=\"ParaVirtualSCSIController\"><key>{SCSI_KEY}</key><busNumber>0</busNumber><sharedBus>noSharing</sharedBus></device>\
         </deviceChange>\
         <deviceChange><operation>add</operation>\
         <device xsi:type=\"VirtualDisk\"><key>-101</key>\
         <backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\"><fileName>{disk}</fileName><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing>\
         <controllerKey>{SCSI_KEY}</controllerKey><unitNumber>0</unitNumber><capacityInKB>{cap}</capacityInKB></device>\
         </deviceChange>\
         <deviceChange><operation>add</operation>\
         <device xsi:type=\"VirtualVmxnet3\"><key>-102</key>\
         <backing xsi:type=\"VirtualEthernetCardNetworkBackingInfo\"><deviceName>{pg}</deviceName>{net}</backing>\
         <connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected></connectable>\
         <addressType>manual</addressType><macAddress>{mac}</macAddress></device>\
         </deviceChange>\
         {extra}",
        name = escape(&vm.name),
        annotation = escape(&c.owner.annotation()),
        ds = escape(c.datastore),
        cpus = vm.cpus,
        mem = vm.memory_mb,
        disk = escape(c.disk_path),
        cap = c.disk_capacity_kb,
        pg = escape(c.port_group),
        net = c.network.map(|n| n.xml("network")).unwrap_or_default(),
        mac = vm.mac,
        extra = extra_config_xml(&extra),
    )
}

/// ReconfigVM spec growing an existing disk.
pub fn grow_disk_spec(
    key: i32,
    controller_key: i32,
    unit: i32,
    file: &str,
    capacity_kb: u64,
) -> String {
    format!(
        "<deviceChange><operation>edit</operation>\
         <device xsi:type=\"VirtualDisk\"><key>{key}</key>\
         <deviceInfo><label>Hard disk 1</label><summary>{capacity_kb} KB</summary></deviceInfo>\
         <backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\"><fileName>{}</fileName><diskMode>persistent</diskMode></backing>\
         <controllerKey>{controller_key}</controllerKey><unitNumber>{unit}</unitNumber><capacityInKB>{capacity_kb}</capacityInKB></device>\
         </deviceChange>",
        escape(file)
    )
}

/// ReconfigVM spec that sets extraConfig values (an empty value removes the key).
pub fn extra_config_spec(entries: &[(String, String)]) -> String {
    extra_config_xml(entries)
}

/// ReconfigVM spec replacing the annotation.
pub fn annotation_spec(owner: &Owner) -> String {
    format!("<annotation>{}</annotation>", escape(&owner.annotation()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::example;

    #[test]
    fn owner_round_trip() {
        let mut o = Owner {
            cluster: "lab".into(),
            role: "image".into(),
            fields: BTreeMap::new(),
        };
        o.fields.insert("state".into(), "complete".into());
        let text = format!("user notes\n{}", o.annotation());
        assert_eq!(Owner::parse(&text), Some(o));
        assert_eq!(Owner::parse("some other VM"), None);
    }

    #[test]
    fn create_config_carries_plan() {
        let spec = example();
        let plan = crate::plan::build(&spec).unwrap();
        let vm = &plan.vms[2];
        let owner = Owner {
            cluster: "lab".into(),
            role: vm.role.to_string(),
            fields: BTreeMap::new(),
        };
        let gi = vec![("guestinfo.metadata".to_string(), "H4sI".to_string())];
        let net = MoRef::new("Network", "HaNetwork-VM Network");
        let x = create_config(&CreateSpec {
            vm,
            datastore: "datastore1",
            port_group: "VM Network",
            network: Some(&net),
            disk_path: "[datastore1] lab-cp-1/lab-cp-1.vmdk",
            disk_capacity_kb: 2_252_800,
            guestinfo: &gi,
            owner: &owner,
        });
        assert!(x.contains("<numCPUs>2</numCPUs><memoryMB>4096</memoryMB>"));
        assert!(x.contains(&format!("<macAddress>{}</macAddress>", vm.mac)));
        assert!(
            x.contains("<key>guestinfo.metadata</key><value xsi:type=\"xsd:string\">H4sI</value>")
        );
        assert!(x.contains("<network type=\"Network\">HaNetwork-VM Network</network>"));
        // well-formed once wrapped
        crate::vsphere::xml::parse(&format!(
            "<config xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">{x}</config>"
        ))
        .unwrap();
    }
}
