//! The vim25 calls `bootstrap` needs, against one standalone ESXi host.

use std::collections::BTreeMap;
use std::time::Duration;

use super::soap::{MoRef, SoapClient, TlsSettings, VimError};
use super::xml::{Element, escape};

/// The references from `RetrieveServiceContent` that are used here.
#[derive(Debug, Clone)]
pub struct ServiceContent {
    pub root_folder: MoRef,
    pub property_collector: MoRef,
    pub view_manager: MoRef,
    pub session_manager: MoRef,
    pub license_manager: Option<MoRef>,
    pub file_manager: Option<MoRef>,
    pub virtual_disk_manager: Option<MoRef>,
    pub ovf_manager: Option<MoRef>,
    pub api_type: String,
    pub api_version: String,
    pub full_name: String,
}

/// One object and its requested properties.
#[derive(Debug, Clone)]
pub struct ObjectContent {
    pub obj: MoRef,
    pub props: BTreeMap<String, Element>,
}

impl ObjectContent {
    pub fn text(&self, path: &str) -> Option<&str> {
        self.props.get(path).map(|e| e.text.trim())
    }
}

/// A licence as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    pub edition_key: String,
    pub name: String,
}

impl Licence {
    /// Free vSphere Hypervisor (ESXi 5-7 `esxBasic`, ESXi 8 `esx.hypervisor.*`).
    pub fn is_free(&self) -> bool {
        self.edition_key == "esxBasic" || self.edition_key.starts_with("esx.hypervisor")
    }
}

/// A logged-in connection to one host.
pub struct Vim {
    pub soap: SoapClient,
    pub sc: ServiceContent,
}

fn service_instance() -> MoRef {
    MoRef::new("ServiceInstance", "ServiceInstance")
}

fn required(rv: &Element, name: &str, host: &str) -> Result<MoRef, VimError> {
    rv.child(name)
        .and_then(MoRef::from_element)
        .ok_or_else(|| VimError::Protocol {
            host: host.into(),
            method: "RetrieveServiceContent".into(),
            message: format!("no {name} in the service content"),
        })
}

impl Vim {
    /// Connects (RetrieveServiceContent) without logging in.
    pub async fn connect(host: &str, url: &str, tls: &TlsSettings) -> Result<Vim, VimError> {
        let soap = SoapClient::new(host, url, tls)?;
        let resp = soap
            .call("RetrieveServiceContent", &service_instance(), "")
            .await?;
        let rv = resp.child("returnval").ok_or_else(|| VimError::Protocol {
            host: host.into(),
            method: "RetrieveServiceContent".into(),
            message: "no returnval".into(),
        })?;
        let opt = |n: &str| rv.child(n).and_then(MoRef::from_element);
        let about = rv.child("about");
        let about_text = |n: &str| {
            about
                .and_then(|a| a.child_text(n))
                .unwrap_or("")
                .to_string()
        };
        let sc = ServiceContent {
            root_folder: required(rv, "rootFolder", host)?,
            property_collector: required(rv, "propertyCollector", host)?,
            view_manager: required(rv, "viewManager", host)?,
            session_manager: required(rv, "sessionManager", host)?,
            license_manager: opt("licenseManager"),
            file_manager: opt("fileManager"),
            virtual_disk_manager: opt("virtualDiskManager"),
            ovf_manager: opt("ovfManager"),
            api_type: about_text("apiType"),
            api_version: about_text("apiVersion"),
            full_name: about_text("fullName"),
        };
        if !sc.api_version.is_empty() {
            soap.set_api_version(&sc.api_version);
        }
        Ok(Vim { soap, sc })
    }

    pub fn host(&self) -> &str {
        &self.soap.host
    }

    fn need(&self, what: &str, r: &Option<MoRef>) -> Result<MoRef, VimError> {
        r.clone().ok_or_else(|| VimError::Other {
            host: self.host().into(),
            message: format!("the host has no {what}"),
        })
    }

    /// Logs in; the password is only put in the request body.
    pub async fn login(&self, user: &str, password: &str) -> Result<(), VimError> {
        let params = format!(
            "<userName>{}</userName><password>{}</password>",
            escape(user),
            escape(password)
        );
        self.soap
            .call("Login", &self.sc.session_manager, &params)
            .await
            .map(|_| ())
    }

    pub async fn logout(&self) -> Result<(), VimError> {
        self.soap
            .call("Logout", &self.sc.session_manager, "")
            .await
            .map(|_| ())
    }

    /// RetrievePropertiesEx with paging (ContinueRetrievePropertiesEx).
    pub async fn retrieve(&self, spec_set: &str) -> Result<Vec<ObjectContent>, VimError> {
        let mut out = Vec::new();
        let resp = self
            .soap
            .call(
                "RetrievePropertiesEx",
                &self.sc.property_collector,
                &format!("<specSet>{spec_set}</specSet><options></options>"),
            )
            .await?;
        let mut token = collect_objects(&resp, &mut out);
        while let Some(t) = token {
            let resp = self
                .soap
                .call(
                    "ContinueRetrievePropertiesEx",
                    &self.sc.property_collector,
                    &format!("<token>{}</token>", escape(&t)),
                )
                .await?;
            token = collect_objects(&resp, &mut out);
        }
        Ok(out)
    }

    /// Properties of specific objects.
    pub async fn properties(
        &self,
        objs: &[MoRef],
        paths: &[&str],
    ) -> Result<Vec<ObjectContent>, VimError> {
        let Some(first) = objs.first() else {
            return Ok(Vec::new());
        };
        let mut spec = prop_spec(&first.ty, paths);
        for o in objs {
            spec.push_str(&format!(
                "<objectSet>{}<skip>false</skip></objectSet>",
                o.xml("obj")
            ));
        }
        self.retrieve(&spec).await
    }

    pub async fn property(&self, obj: &MoRef, path: &str) -> Result<Option<Element>, VimError> {
        let mut r = self.properties(std::slice::from_ref(obj), &[path]).await?;
        Ok(r.pop().and_then(|mut o| o.props.remove(path)))
    }

    /// All objects of `ty` under the root folder, through a ContainerView.
    pub async fn list(&self, ty: &str, paths: &[&str]) -> Result<Vec<ObjectContent>, VimError> {
        let resp = self
            .soap
            .call(
                "CreateContainerView",
                &self.sc.view_manager,
                &format!(
                    "{}<type>{}</type><recursive>true</recursive>",
                    self.sc.root_folder.xml("container"),
                    escape(ty)
                ),
            )
            .await?;
        let view = resp
            .child("returnval")
            .and_then(MoRef::from_element)
            .ok_or_else(|| VimError::Protocol {
                host: self.host().into(),
                method: "CreateContainerView".into(),
                message: "no view returned".into(),
            })?;
        let spec = format!(
            "{}<objectSet>{}<skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>view</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet>",
            prop_spec(ty, paths),
            view.xml("obj")
        );
        let result = self.retrieve(&spec).await;
        // Views live as long as the session; destroy it either way.
        let _ = self.soap.call("DestroyView", &view, "").await;
        result
    }

    /// Licences from the host's LicenseManager.
    pub async fn licences(&self) -> Result<Vec<Licence>, VimError> {
        let lm = self.need("LicenseManager", &self.sc.license_manager)?;
        let Some(el) = self.property(&lm, "licenses").await? else {
            return Ok(Vec::new());
        };
        let mut items = Vec::new();
        el.find_all("LicenseManagerLicenseInfo", &mut items);
        if items.is_empty() && el.child("editionKey").is_some() {
            items.push(&el);
        }
        Ok(items
            .into_iter()
            .map(|l| Licence {
                edition_key: l.child_text("editionKey").unwrap_or("").into(),
                name: l.child_text("name").unwrap_or("").into(),
            })
            .collect())
    }

    /// Waits for a task; returns its `info.result` on success.
    pub async fn wait_task(&self, task: &MoRef, what: &str) -> Result<Option<Element>, VimError> {
        let mut delay = Duration::from_millis(100);
        loop {
            let r = self
                .properties(std::slice::from_ref(task), &["info"])
                .await?;
            let info = r
                .into_iter()
                .next()
                .and_then(|mut o| o.props.remove("info"))
                .ok_or_else(|| VimError::Protocol {
                    host: self.host().into(),
                    method: "RetrievePropertiesEx".into(),
                    message: format!("task {task} has no info"),
                })?;
            match info.child_text("state").unwrap_or("") {
                "success" => return Ok(info.child("result").cloned()),
                "error" => {
                    let err = info.child("error");
                    let fault = err
                        .and_then(|e| e.child("fault"))
                        .and_then(|f| f.xsi_type.clone())
                        .unwrap_or_else(|| "UnknownFault".into());
                    let message = task_error_message(err);
                    if fault == "RestrictedVersion" {
                        return Err(VimError::Restricted {
                            host: self.host().into(),
                            method: what.into(),
                            message,
                        });
                    }
                    return Err(VimError::Task {
                        host: self.host().into(),
                        what: what.into(),
                        task: task.value.clone(),
                        fault,
                        message,
                    });
                }
                _ => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// Calls a `*_Task` method and waits for it.
    pub async fn run_task(
        &self,
        method: &str,
        this: &MoRef,
        params: &str,
        what: &str,
    ) -> Result<Option<Element>, VimError> {
        let resp = self.soap.call(method, this, params).await?;
        let task = resp
            .child("returnval")
            .and_then(MoRef::from_element)
            .ok_or_else(|| VimError::Protocol {
                host: self.host().into(),
                method: method.into(),
                message: "no task returned".into(),
            })?;
        self.wait_task(&task, what).await
    }

    pub async fn create_vm(
        &self,
        folder: &MoRef,
        pool: &MoRef,
        host: Option<&MoRef>,
        config_xml: &str,
        vm_name: &str,
    ) -> Result<MoRef, VimError> {
        let params = format!(
            "<config>{config_xml}</config>{}{}",
            pool.xml("pool"),
            host.map(|h| h.xml("host")).unwrap_or_default()
        );
        let result = self
            .run_task(
                "CreateVM_Task",
                folder,
                &params,
                &format!("CreateVM_Task for {vm_name}"),
            )
            .await?;
        result
            .as_ref()
            .and_then(MoRef::from_element)
            .or_else(|| {
                result.map(|r| MoRef {
                    ty: "VirtualMachine".into(),
                    value: r.text.trim().to_string(),
                })
            })
            .ok_or_else(|| VimError::Protocol {
                host: self.host().into(),
                method: "CreateVM_Task".into(),
                message: "task finished without a VM reference".into(),
            })
    }

    pub async fn reconfigure(
        &self,
        vm: &MoRef,
        spec_xml: &str,
        what: &str,
    ) -> Result<(), VimError> {
        self.run_task(
            "ReconfigVM_Task",
            vm,
            &format!("<spec>{spec_xml}</spec>"),
            what,
        )
        .await
        .map(|_| ())
    }

    pub async fn power_on(&self, vm: &MoRef, name: &str) -> Result<(), VimError> {
        self.run_task("PowerOnVM_Task", vm, "", &format!("power on {name}"))
            .await
            .map(|_| ())
    }

    pub async fn power_off(&self, vm: &MoRef, name: &str) -> Result<(), VimError> {
        self.run_task("PowerOffVM_Task", vm, "", &format!("power off {name}"))
            .await
            .map(|_| ())
    }

    pub async fn destroy(&self, vm: &MoRef, name: &str) -> Result<(), VimError> {
        self.run_task("Destroy_Task", vm, "", &format!("destroy {name}"))
            .await
            .map(|_| ())
    }

    pub async fn make_directory(&self, ds_path: &str, datacenter: &MoRef) -> Result<(), VimError> {
        let fm = self.need("FileManager", &self.sc.file_manager)?;
        let params = format!(
            "<name>{}</name>{}<createParentDirectories>true</createParentDirectories>",
            escape(ds_path),
            datacenter.xml("datacenter")
        );
        match self.soap.call("MakeDirectory", &fm, &params).await {
            Ok(_) => Ok(()),
            Err(e) if e.fault_type() == Some("FileAlreadyExists") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes a datastore file; a missing file is not an error.
    pub async fn delete_datastore_file(
        &self,
        ds_path: &str,
        datacenter: &MoRef,
    ) -> Result<(), VimError> {
        let fm = self.need("FileManager", &self.sc.file_manager)?;
        let params = format!(
            "<name>{}</name>{}",
            escape(ds_path),
            datacenter.xml("datacenter")
        );
        match self
            .run_task(
                "DeleteDatastoreFile_Task",
                &fm,
                &params,
                &format!("delete {ds_path}"),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.fault_type() == Some("FileNotFound") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Copies a virtual disk, thin (without a destSpec hostd makes a preallocated copy), overwriting
    /// a leftover destination from an interrupted run.
    pub async fn copy_virtual_disk(
        &self,
        src: &str,
        dst: &str,
        datacenter: &MoRef,
    ) -> Result<(), VimError> {
        let vdm = self.need("VirtualDiskManager", &self.sc.virtual_disk_manager)?;
        let params = format!(
            "<sourceName>{}</sourceName>{}<destName>{}</destName>{}<destSpec xsi:type=\"VirtualDiskSpec\"><diskType>thin</diskType><adapterType>lsiLogic</adapterType></destSpec><force>true</force>",
            escape(src),
            datacenter.xml("sourceDatacenter"),
            escape(dst),
            datacenter.xml("destDatacenter"),
        );
        self.run_task(
            "CopyVirtualDisk_Task",
            &vdm,
            &params,
            &format!("copy {src} to {dst}"),
        )
        .await
        .map(|_| ())
    }

    /// OvfManager.CreateImportSpec → (importSpec element, fileItems, errors).
    pub async fn create_import_spec(
        &self,
        ovf: &str,
        pool: &MoRef,
        datastore: &MoRef,
        entity_name: &str,
    ) -> Result<(Element, Vec<FileItem>), VimError> {
        let om = self.need("OvfManager", &self.sc.ovf_manager)?;
        let params = format!(
            "<ovfDescriptor>{}</ovfDescriptor>{}{}<cisp><locale></locale><deploymentOption></deploymentOption><entityName>{}</entityName><diskProvisioning>thin</diskProvisioning></cisp>",
            escape(ovf),
            pool.xml("resourcePool"),
            datastore.xml("datastore"),
            escape(entity_name)
        );
        let resp = self.soap.call("CreateImportSpec", &om, &params).await?;
        let rv = resp.child("returnval").ok_or_else(|| VimError::Protocol {
            host: self.host().into(),
            method: "CreateImportSpec".into(),
            message: "no returnval".into(),
        })?;
        if let Some(err) = rv.child("error") {
            return Err(VimError::Fault {
                host: self.host().into(),
                method: "CreateImportSpec".into(),
                fault: err
                    .child("fault")
                    .and_then(|f| f.xsi_type.clone())
                    .unwrap_or_else(|| "OvfFault".into()),
                message: err.child_text("localizedMessage").unwrap_or("").into(),
            });
        }
        let spec = rv
            .child("importSpec")
            .cloned()
            .ok_or_else(|| VimError::Protocol {
                host: self.host().into(),
                method: "CreateImportSpec".into(),
                message: "no importSpec".into(),
            })?;
        let items = rv
            .children_named("fileItem")
            .map(|f| FileItem {
                device_id: f.child_text("deviceId").unwrap_or("").into(),
                path: f.child_text("path").unwrap_or("").into(),
            })
            .collect();
        Ok((spec, items))
    }

    /// ResourcePool.ImportVApp → HttpNfcLease.
    pub async fn import_vapp(
        &self,
        pool: &MoRef,
        spec: &Element,
        folder: &MoRef,
        host: Option<&MoRef>,
    ) -> Result<MoRef, VimError> {
        let params = format!(
            "{}{}{}",
            spec.to_xml_as("spec"),
            folder.xml("folder"),
            host.map(|h| h.xml("host")).unwrap_or_default()
        );
        let resp = self.soap.call("ImportVApp", pool, &params).await?;
        resp.child("returnval")
            .and_then(MoRef::from_element)
            .ok_or_else(|| VimError::Protocol {
                host: self.host().into(),
                method: "ImportVApp".into(),
                message: "no lease returned".into(),
            })
    }

    /// Waits until the lease is ready and returns its info.
    pub async fn wait_lease(&self, lease: &MoRef) -> Result<Element, VimError> {
        for _ in 0..600 {
            let r = self
                .properties(std::slice::from_ref(lease), &["state", "error", "info"])
                .await?;
            let o = r.into_iter().next().ok_or_else(|| VimError::Protocol {
                host: self.host().into(),
                method: "RetrievePropertiesEx".into(),
                message: "lease vanished".into(),
            })?;
            match o.text("state").unwrap_or("") {
                "ready" => {
                    return o
                        .props
                        .get("info")
                        .cloned()
                        .ok_or_else(|| VimError::Protocol {
                            host: self.host().into(),
                            method: "HttpNfcLease".into(),
                            message: "ready lease without info".into(),
                        });
                }
                "error" => {
                    let e = o.props.get("error");
                    return Err(VimError::Task {
                        host: self.host().into(),
                        what: "ImportVApp lease".into(),
                        task: lease.value.clone(),
                        fault: e
                            .and_then(|e| e.child("fault"))
                            .and_then(|f| f.xsi_type.clone())
                            .unwrap_or_else(|| "HttpNfcLeaseError".into()),
                        message: e
                            .and_then(|e| e.child_text("localizedMessage"))
                            .unwrap_or("")
                            .into(),
                    });
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        Err(VimError::Other {
            host: self.host().into(),
            message: "the import lease did not become ready within 5 minutes".into(),
        })
    }

    pub async fn lease_progress(&self, lease: &MoRef, percent: u8) -> Result<(), VimError> {
        self.soap
            .call(
                "HttpNfcLeaseProgress",
                lease,
                &format!("<percent>{percent}</percent>"),
            )
            .await
            .map(|_| ())
    }

    pub async fn lease_complete(&self, lease: &MoRef) -> Result<(), VimError> {
        self.soap
            .call("HttpNfcLeaseComplete", lease, "")
            .await
            .map(|_| ())
    }

    pub async fn lease_abort(&self, lease: &MoRef) -> Result<(), VimError> {
        self.soap
            .call("HttpNfcLeaseAbort", lease, "")
            .await
            .map(|_| ())
    }
}

/// A task's LocalizedMethodFault as text: the localized message plus the fault's own fields
/// (e.g. `file=[ds] x.vmdk`), which name the object when the message does not.
fn task_error_message(err: Option<&Element>) -> String {
    let text = err
        .and_then(|e| e.child_text("localizedMessage"))
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let fields: Vec<String> = err
        .and_then(|e| e.child("fault"))
        .map(|f| {
            f.children
                .iter()
                .filter(|c| c.children.is_empty() && !c.text.trim().is_empty())
                .map(|c| format!("{}={}", c.name, c.text.trim()))
                .collect()
        })
        .unwrap_or_default();
    match (text, fields.is_empty()) {
        (Some(t), true) => t,
        (Some(t), false) => format!("{t} ({})", fields.join(", ")),
        (None, false) => fields.join(", "),
        (None, true) => "(no message)".into(),
    }
}

/// A file the import spec expects to be uploaded.
#[derive(Debug, Clone)]
pub struct FileItem {
    pub device_id: String,
    pub path: String,
}

fn prop_spec(ty: &str, paths: &[&str]) -> String {
    let mut s = format!("<propSet><type>{}</type><all>false</all>", escape(ty));
    for p in paths {
        s.push_str(&format!("<pathSet>{}</pathSet>", escape(p)));
    }
    s.push_str("</propSet>");
    s
}

fn collect_objects(resp: &Element, out: &mut Vec<ObjectContent>) -> Option<String> {
    let rv = resp.child("returnval")?;
    for o in rv.children_named("objects") {
        let Some(obj) = o.child("obj").and_then(MoRef::from_element) else {
            continue;
        };
        let props = o
            .children_named("propSet")
            .filter_map(|p| Some((p.child_text("name")?.to_string(), p.child("val")?.clone())))
            .collect();
        out.push(ObjectContent { obj, props });
    }
    rv.child_text("token").map(str::to_string)
}

/// `<extraConfig xsi:type="OptionValue">` entries.
pub fn extra_config_xml(entries: &[(String, String)]) -> String {
    entries
        .iter()
        .map(|(k, v)| {
            format!(
                "<extraConfig xsi:type=\"OptionValue\"><key>{}</key><value xsi:type=\"xsd:string\">{}</value></extraConfig>",
                escape(k),
                escape(v)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_errors_name_the_object() {
        let doc = r#"<error xmlns:x="http://www.w3.org/2001/XMLSchema-instance"><fault x:type="FileNotFound"><file>[LocalDS_0] a/a.vmdk</file></fault><localizedMessage>*types.FileNotFound</localizedMessage></error>"#;
        let e = super::super::xml::parse(doc).unwrap();
        assert_eq!(
            task_error_message(Some(&e)),
            "*types.FileNotFound (file=[LocalDS_0] a/a.vmdk)"
        );
        assert_eq!(task_error_message(None), "(no message)");
    }

    #[test]
    fn free_licence_detection() {
        let l = |k: &str| Licence {
            edition_key: k.into(),
            name: String::new(),
        };
        assert!(l("esxBasic").is_free());
        assert!(l("esx.hypervisor.cpuPackageCore").is_free());
        assert!(!l("eval").is_free());
        assert!(!l("esxEnterprisePlus").is_free());
    }

    #[test]
    fn objects_and_token_are_collected() {
        let doc = r#"<R xmlns="urn:vim25" xmlns:x="http://www.w3.org/2001/XMLSchema-instance"><returnval><token>t1</token><objects><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name><val x:type="xsd:string">a</val></propSet></objects></returnval></R>"#;
        let e = super::super::xml::parse(doc).unwrap();
        let mut out = Vec::new();
        assert_eq!(collect_objects(&e, &mut out).as_deref(), Some("t1"));
        assert_eq!(out[0].obj, MoRef::new("VirtualMachine", "vm-1"));
        assert_eq!(out[0].text("name"), Some("a"));
    }
}
