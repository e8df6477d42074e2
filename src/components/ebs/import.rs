//! What `archsim import` makes of a template's EBS volumes: the block devices of an Auto
//! Scaling group's launch template or launch configuration (each instance the group launches
//! has its own volume, which is what an `ebs` component is), and volumes created on their own
//! and attached to an instance (`AWS::EC2::Volume` with `AWS::EC2::VolumeAttachment`,
//! `aws_ebs_volume` with `aws_volume_attachment`), kept when the instance's component is
//! simulated. aws-facts: §11 EBS.

use super::config::{VolumeType, VOLUME_TYPES};
use crate::components::iac::{clamp, component, int, launch_of, string, Dialect, Mapped, Resource};
use serde_json::Value;

/// The size written when a template gives none [GiB]: a block device without `VolumeSize`
/// is its snapshot's size (the AMI's), which the template cannot say. 8 GiB, the root volume
/// of Amazon Linux's AMIs, is a starting value.
const SIZE_START_GIB: f64 = 8.0;

/// The property names of one volume's settings in a dialect and a resource type.
struct Names {
    ty: &'static str,
    size: &'static str,
    iops: &'static str,
    throughput: &'static str,
}

/// A block device of a launch template or configuration (CloudFormation), and of
/// `aws_launch_template` and `aws_launch_configuration` (Terraform).
const CFN_DEVICE: Names = Names {
    ty: "VolumeType",
    size: "VolumeSize",
    iops: "Iops",
    throughput: "Throughput",
};
const TF_DEVICE: Names = Names {
    ty: "volume_type",
    size: "volume_size",
    iops: "iops",
    throughput: "throughput",
};
/// `AWS::EC2::Volume` and `aws_ebs_volume`.
const CFN_VOLUME: Names = Names {
    ty: "VolumeType",
    size: "Size",
    iops: "Iops",
    throughput: "Throughput",
};
const TF_VOLUME: Names = Names {
    ty: "type",
    size: "size",
    iops: "iops",
    throughput: "throughput",
};

/// An Auto Scaling group's volumes: the first EBS block device of its launch template or
/// configuration, on each instance the group launches. Nothing when it has none.
pub(super) fn import_group_volume(r: &Resource<'_>, m: &mut Mapped) {
    let Some(launch) = launch_of(r) else {
        return;
    };
    let devices = block_devices(&launch);
    let Some((device, ebs)) = devices.first() else {
        return;
    };
    let names = match r.dialect {
        Dialect::CloudFormation => &CFN_DEVICE,
        Dialect::Terraform => &TF_DEVICE,
    };
    let what = format!("{}'s block device {device}", launch.name);
    m.set(
        "attached_to",
        component(r.name),
        format!(
            "each instance {} launches has its own volume: {what}",
            r.name
        ),
    );
    m.attached = true;
    let v = Resource { props: ebs, ..*r };
    volume_keys(&v, names, &what, m);
    for (other, _) in devices.iter().skip(1) {
        m.note(format!(
            "{}'s block device {other} is left out: archsim gives each instance of {} one volume, {device}, the first its launch template maps",
            launch.name, r.name
        ));
    }
}

/// The EBS block devices of a launch template or configuration, in the order written: each
/// device's name and its EBS settings. Instance-store devices (`VirtualName`) and `NoDevice`
/// entries have none.
fn block_devices<'a>(launch: &Resource<'a>) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    let mut push = |list: Option<&'a Value>, name_key: &str, ebs_key: Option<&str>| {
        for entry in list.and_then(Value::as_array).into_iter().flatten() {
            let ebs = match ebs_key {
                // Terraform writes a nested block as a list of one object.
                Some(k) => match entry.get(k) {
                    Some(Value::Array(a)) => a.first(),
                    other => other,
                },
                None => Some(entry),
            };
            let Some(ebs) = ebs.filter(|e| e.is_object()) else {
                continue;
            };
            let name = entry
                .get(name_key)
                .and_then(Value::as_str)
                .unwrap_or("(root)")
                .to_string();
            out.push((name, ebs));
        }
    };
    match launch.dialect {
        Dialect::CloudFormation => {
            let list = launch
                .get("LaunchTemplateData.BlockDeviceMappings")
                .or_else(|| launch.get("BlockDeviceMappings"));
            push(list, "DeviceName", Some("Ebs"));
        }
        Dialect::Terraform => {
            push(
                launch.get("block_device_mappings"),
                "device_name",
                Some("ebs"),
            );
            // A launch configuration's root device, then its other EBS devices.
            push(launch.get("root_block_device"), "device_name", None);
            push(launch.get("ebs_block_device"), "device_name", None);
        }
    }
    out
}

/// A volume created on its own: kept when the instance it is attached to is simulated.
pub(super) fn import_volume(r: &Resource<'_>, m: &mut Mapped) {
    let (attachment_types, volume_key, instance_key) = match r.dialect {
        Dialect::CloudFormation => (["AWS::EC2::VolumeAttachment"], "VolumeId", "InstanceId"),
        Dialect::Terraform => (["aws_volume_attachment"], "volume_id", "instance_id"),
    };
    let attachment = r.others().find(|o| {
        attachment_types.contains(&o.kind) && o.refs(volume_key).iter().any(|n| n == r.name)
    });
    let instance = attachment
        .as_ref()
        .and_then(|a| a.refs(instance_key).into_iter().next());
    let (Some(a), Some(instance)) = (attachment, instance) else {
        m.folded = true;
        m.note(format!(
            "volume {} is attached to no instance of the template: left out",
            r.name
        ));
        return;
    };
    m.set(
        "attached_to",
        component(&instance),
        format!("{} attaches it to {instance}", a.name),
    );
    m.attached = true;
    let names = match r.dialect {
        Dialect::CloudFormation => &CFN_VOLUME,
        Dialect::Terraform => &TF_VOLUME,
    };
    volume_keys(r, names, &format!("volume {}", r.name), m);
}

/// A volume attachment: read by the volume it attaches.
pub(super) fn import_attachment(_r: &Resource<'_>, m: &mut Mapped) {
    m.folded = true;
}

/// A volume's type, size, IOPS and throughput, held within what the `ebs` kind takes, and the
/// I/Os per request the template cannot say.
fn volume_keys(v: &Resource<'_>, names: &Names, what: &str, m: &mut Mapped) {
    let written = v.text(names.ty).filter(|t| !t.is_empty());
    let t = match written {
        Some(t) if VOLUME_TYPES.contains(&t) => {
            m.set("volume_type", string(t), names.ty);
            VolumeType::of(t)
        }
        Some(t) => {
            m.ask(
                "volume_type",
                string("gp2"),
                format!("{what} is of type {t}, which archsim does not model (previous-generation magnetic): gp2 stands in"),
            );
            VolumeType::Gp2
        }
        None if v.get(names.ty).is_some_and(|x| !x.is_null()) => {
            m.ask(
                "volume_type",
                string("gp2"),
                format!("{what}'s type is not written literally: set yours"),
            );
            VolumeType::Gp2
        }
        None => {
            // EC2's CreateVolume, AWS::EC2::Volume and aws_ebs_volume all document gp2 as the
            // type of a volume that names none.
            m.set(
                "volume_type",
                string("gp2"),
                format!("{what} names no type: gp2, EC2's default"),
            );
            VolumeType::Gp2
        }
    };
    let (lo, hi) = t.sizes();
    let size = match v.num(names.size) {
        Some(s) => {
            let s = clamp(
                s.round(),
                lo as f64,
                hi as f64,
                &format!("{what}'s size"),
                m,
            );
            m.set("size_gib", int(s), names.size);
            s
        }
        None => {
            let s = SIZE_START_GIB.max(lo as f64);
            m.ask(
                "size_gib",
                int(s),
                format!("{what} gives no size literally: a block device without one is its snapshot's (the AMI's) size; set yours"),
            );
            s
        }
    };
    iops(v, names, t, size, what, m);
    match (t, v.num(names.throughput)) {
        (VolumeType::Gp3, Some(x)) => {
            let x = clamp(
                x.round(),
                125.0,
                1_000.0,
                &format!("{what}'s throughput"),
                m,
            );
            m.set("throughput_mibps", int(x), names.throughput);
        }
        (_, Some(_)) => m.note(format!(
            "{what}'s {} is left out: only gp3 volumes take a provisioned throughput",
            names.throughput
        )),
        _ => {}
    }
    m.ask(
        "ios_per_read",
        int(1.0),
        "I/Os a read makes on its instance's volume: set from VolumeReadOps ÷ reads served",
    );
    m.ask(
        "ios_per_write",
        int(1.0),
        "I/Os a write makes on its instance's volume: set from VolumeWriteOps ÷ writes served",
    );
}

/// `iops`: provisioned on gp3 (3,000 when not given, the kind's default), io1 and io2 (a
/// starting value when not given: AWS requires it); left out, said in a note, on the others.
fn iops(v: &Resource<'_>, names: &Names, t: VolumeType, size: f64, what: &str, m: &mut Mapped) {
    let given = v.num(names.iops);
    let Some((lo, hi, per_gib)) = t.iops_bounds() else {
        if given.is_some() {
            m.note(format!(
                "{what}'s {} is left out: a {} volume's IOPS follow from its size",
                names.iops,
                t.name()
            ));
        }
        return;
    };
    // aws-facts: §11 EBS: io1 at most 50 IOPS per GiB, io2 1,000.
    let most = (hi as f64).min(per_gib as f64 * size).max(lo as f64);
    match given {
        Some(x) => {
            let x = clamp(x.round(), lo as f64, most, &format!("{what}'s IOPS"), m);
            m.set("iops", int(x), names.iops);
        }
        None if t != VolumeType::Gp3 => m.ask(
            "iops",
            int(3_000f64.clamp(lo as f64, most)),
            format!(
                "{what} is {} without IOPS written literally: set its provisioned IOPS",
                t.name()
            ),
        ),
        None => {}
    }
}
