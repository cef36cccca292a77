//! Faults and bad input against VMware's vSphere simulator: everything is reported clearly and,
//! where it is found at pre-flight, before anything is created. The simulator never raises
//! these by itself; the project's launcher injects them (`-licence free`, `-restrict-writes`,
//! `-fault-file`).

mod common;

use common::{Sim, Trust, bootstrap, lab, lab_vms, text};

#[test]
fn a_failed_task_is_reported_and_the_next_up_continues() {
    let a = Sim::start(&["-guest-ip"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let fault = dir.path().join("fault");
    let fault_arg = fault.to_str().expect("utf-8").to_string();
    let b = Sim::start(&["-guest-ip", "-fault-file", &fault_arg]);
    std::fs::write(&fault, "lab-cp-2\n").expect("write fault file");
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");

    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "up should fail:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("esxi-b: CreateVM_Task for lab-cp-2 failed in task"),
        "{stderr}"
    );
    assert!(
        stderr.contains(": FileNotFound: "),
        "the task's fault type is named: {stderr}"
    );
    assert!(
        stderr.contains("lab-cp-2-injected-missing-flat.vmdk)"),
        "the missing file is named: {stderr}"
    );
    assert!(
        stderr.contains("run `bootstrap up` again to resume"),
        "{stderr}"
    );
    // esxi-a finished; esxi-b stopped after lab-lb-2.
    assert_eq!(lab_vms(&a).len(), 5);
    let vb = lab_vms(&b);
    assert!(
        vb.contains_key("lab-lb-2")
            && !vb.contains_key("lab-cp-2")
            && !vb.contains_key("lab-worker-2"),
        "{:?}",
        vb.keys()
    );

    std::fs::remove_file(&fault).expect("remove fault file");
    let out = bootstrap(&["up", "-f", spec, "--wait", "vms"]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "resumed up failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("VMs: 2 created, 0 resumed, 5 unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("esxi-b: base image present, created 2 [lab-cp-2 lab-worker-2]"),
        "{stdout}"
    );
    assert!(
        stderr.contains("removing files left by an earlier failed CreateVM_Task"),
        "{stderr}"
    );
    assert_eq!(lab_vms(&b).len(), 4);
}

#[test]
fn a_free_licence_stops_everything_at_preflight_with_an_explanation() {
    let a = Sim::start(&[]);
    let b = Sim::start(&["-licence", "free"]);
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");

    let out = bootstrap(&["plan", "-f", spec, "--check-hosts"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("esxi-b: licence pre-flight refused with RestrictedVersion"),
        "{stderr}"
    );
    assert!(
        stderr.contains("free vSphere Hypervisor licence"),
        "{stderr}"
    );
    assert!(stderr.contains("read-only"), "{stderr}");

    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("pre-flight failed") && stderr.contains("nothing was created"),
        "{stderr}"
    );
    assert!(
        lab_vms(&a).is_empty(),
        "a VM was created on the healthy host"
    );
    assert!(lab_vms(&b).is_empty());
}

#[test]
fn a_restricted_write_fault_is_explained() {
    // The licence looks fine but writes are refused (as hostd does on a free licence).
    let a = Sim::start(&["-restrict-writes"]);
    let lab = lab(&[(&a, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("esxi-a: ImportVApp refused with RestrictedVersion (Current license or ESXi version prohibits execution of the requested operation.)"), "{stderr}");
    assert!(
        stderr.contains("Assign an evaluation or paid licence"),
        "{stderr}"
    );
}

#[test]
fn unknown_datastore_and_port_group_are_all_listed_before_anything_is_created() {
    let a = Sim::start(&[]);
    let b = Sim::start(&[]);
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| {
        s.replacen("datastore: LocalDS_0", "datastore: datastore9", 1)
            .replacen("port_group: VM Network", "port_group: VLAN 42", 2)
    });
    let spec = lab.spec.to_str().expect("utf-8 path");
    for args in [
        vec!["plan", "-f", spec, "--check-hosts"],
        vec!["up", "-f", spec, "--wait", "none"],
    ] {
        let out = bootstrap(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("esxi-a: datastore \"datastore9\" not found (the host has: LocalDS_0)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("esxi-a: port group \"VLAN 42\" not found (the host has: VM Network)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("esxi-b: port group \"VLAN 42\" not found"),
            "{stderr}"
        );
        assert!(stderr.contains("(3 problem(s))"), "{stderr}");
    }
    assert!(lab_vms(&a).is_empty() && lab_vms(&b).is_empty());
}

#[test]
fn a_foreign_vm_with_a_planned_name_blocks_up_and_is_never_removed() {
    let a = Sim::start(&[]);
    a.create_foreign("lab-cp-1");
    a.create_foreign("lab-base-focal");
    let lab = lab(&[(&a, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "esxi-a: a VM named lab-cp-1 exists and is not owned by bootstrap cluster lab"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "esxi-a: a VM named lab-base-focal (the base image holder) exists and is not owned"
        ),
        "{stderr}"
    );
    assert_eq!(
        lab_vms(&a).keys().collect::<Vec<_>>(),
        vec!["lab-base-focal", "lab-cp-1"],
        "something was created"
    );
    let out = bootstrap(&["down", "-f", spec, "--yes"]);
    assert!(out.status.success());
    assert!(
        a.vm("lab-cp-1").is_some(),
        "down removed a VM it does not own"
    );
}

#[test]
fn unreachable_host_and_missing_password_are_listed_at_preflight() {
    let b = Sim::start(&[]);
    // Port 1 (tcpmux): nothing listens there on the test machine.
    let url = "http://127.0.0.1:1/sdk".to_string();
    let first = lab(&[(&b, Trust::Plain), (&b, Trust::Plain)], |s| {
        s.replacen(&b.url, &url, 1).replacen(
            "password_env: BOOTSTRAP_TEST_PW",
            "password_env: BOOTSTRAP_TEST_UNSET_PW",
            1,
        )
    });
    let spec = first.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("esxi-a: no password: set the environment variable BOOTSTRAP_TEST_UNSET_PW or give password_file"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was created"), "{stderr}");
    assert!(lab_vms(&b).is_empty());

    let second = lab(&[(&b, Trust::Plain), (&b, Trust::Plain)], |s| {
        s.replacen(&b.url, &url, 1)
    });
    let out = bootstrap(&[
        "plan",
        "-f",
        second.spec.to_str().expect("utf-8"),
        "--check-hosts",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&format!(
            "esxi-a: RetrieveServiceContent: no answer from {url}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "the cause is shown: {stderr}"
    );
}
