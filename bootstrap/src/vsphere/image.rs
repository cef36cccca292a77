//! The base image: a stream-optimised VMDK, alone or inside an OVA (tar), described by a
//! minimal OVF (the same shape `govc import.vmdk` generates) for ImportVApp.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// Where the VMDK bytes are (a whole file, or a member of an OVA) and what it holds.
#[derive(Debug, Clone)]
pub struct ImageSource {
    pub path: PathBuf,
    /// Byte offset of the VMDK inside `path`.
    pub offset: u64,
    /// VMDK size in bytes (what is uploaded).
    pub size: u64,
    /// VMDK file name (inside the OVA, or the file's own).
    pub vmdk_name: String,
    /// Virtual capacity in bytes.
    pub capacity: u64,
}

const SPARSE_MAGIC: u32 = 0x564d_444b; // "KDMV"
const FLAG_COMPRESSED: u32 = 1 << 16;

impl ImageSource {
    pub fn open(path: &Path) -> Result<ImageSource, ImageError> {
        let io = |error| ImageError::Io {
            path: path.to_owned(),
            error,
        };
        let fmt = |message: String| ImageError::Format {
            path: path.to_owned(),
            message,
        };
        let mut f = std::fs::File::open(path).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        let mut magic = [0u8; 4];
        f.read_exact(&mut magic)
            .map_err(|_| fmt("too short to be an OVA or VMDK".into()))?;
        let (offset, size, vmdk_name) = if u32::from_le_bytes(magic) == SPARSE_MAGIC {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "disk.vmdk".into());
            (0, len, name)
        } else {
            f.seek(SeekFrom::Start(0)).map_err(io)?;
            let mut ar = tar::Archive::new(f);
            let mut found = None;
            for entry in ar
                .entries()
                .map_err(|e| fmt(format!("neither a VMDK nor an OVA (tar): {e}")))?
            {
                let entry = entry.map_err(|e| fmt(format!("broken OVA (tar): {e}")))?;
                let name = entry
                    .path()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if name.ends_with(".vmdk") {
                    found = Some((entry.raw_file_position(), entry.size(), name));
                    break;
                }
            }
            found.ok_or_else(|| fmt("the OVA holds no .vmdk disk".into()))?
        };
        let mut f = std::fs::File::open(path).map_err(io)?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut header = [0u8; 20];
        f.read_exact(&mut header)
            .map_err(|_| fmt(format!("{vmdk_name}: too short for a VMDK header")))?;
        let word =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        if word(0) != SPARSE_MAGIC {
            return Err(fmt(format!(
                "{vmdk_name}: not a sparse VMDK (ImportVApp needs a stream-optimised VMDK)"
            )));
        }
        if word(8) & FLAG_COMPRESSED == 0 {
            return Err(fmt(format!(
                "{vmdk_name}: a sparse but not stream-optimised (compressed) VMDK; convert it, \
                 e.g. qemu-img convert -O vmdk -o subformat=streamOptimized"
            )));
        }
        let sectors = u64::from_le_bytes([
            header[12], header[13], header[14], header[15], header[16], header[17], header[18],
            header[19],
        ]);
        Ok(ImageSource {
            path: path.to_owned(),
            offset,
            size,
            vmdk_name: vmdk_name
                .rsplit('/')
                .next()
                .unwrap_or(&vmdk_name)
                .to_string(),
            capacity: sectors.saturating_mul(512),
        })
    }

    /// The OVF descriptor ImportVApp gets: one small VM holding this disk.
    pub fn ovf(&self, entity: &str) -> String {
        let name = super::xml::escape(&self.vmdk_name);
        let entity = super::xml::escape(entity);
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="{name}" ovf:id="file1" ovf:size="{size}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="{capacity}" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="0"/>
  </DiskSection>
  <VirtualSystem ovf:id="{entity}">
    <Info>bootstrap base image holder (never powered on)</Info>
    <Name>{entity}</Name>
    <OperatingSystemSection ovf:id="94" vmw:osType="ubuntu64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{entity}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>1 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>512MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>512</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI Controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>9</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"#,
            size = self.size,
            capacity = self.capacity,
        )
    }
}

/// Test helper and documentation of the format: a minimal stream-optimised VMDK header
/// followed by `payload` bytes.
pub fn synthetic_stream_vmdk(capacity_bytes: u64, payload: usize) -> Vec<u8> {
    let mut v = vec![0u8; 512];
    v[0..4].copy_from_slice(&SPARSE_MAGIC.to_le_bytes());
    v[4..8].copy_from_slice(&3u32.to_le_bytes());
    v[8..12].copy_from_slice(&(FLAG_COMPRESSED | (1 << 17) | 1).to_le_bytes());
    v[12..20].copy_from_slice(&(capacity_bytes / 512).to_le_bytes());
    v.extend((0..payload).map(|i| (i % 251) as u8));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmdk_and_ova() {
        let dir = tempfile::tempdir().unwrap();
        let vmdk = synthetic_stream_vmdk(10 << 30, 4096);
        let p = dir.path().join("focal.vmdk");
        std::fs::write(&p, &vmdk).unwrap();
        let s = ImageSource::open(&p).unwrap();
        assert_eq!(
            (s.offset, s.size, s.capacity),
            (0, vmdk.len() as u64, 10 << 30)
        );
        assert!(
            s.ovf("lab-base-focal")
                .contains(r#"ovf:capacity="10737418240""#)
        );

        let ova = dir.path().join("focal.ova");
        let mut b = tar::Builder::new(std::fs::File::create(&ova).unwrap());
        let ovf = b"<Envelope/>";
        let mut h = tar::Header::new_gnu();
        h.set_size(ovf.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, "ubuntu.ovf", &ovf[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(vmdk.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, "ubuntu-disk1.vmdk", &vmdk[..])
            .unwrap();
        b.finish().unwrap();
        drop(b);
        let s = ImageSource::open(&ova).unwrap();
        assert_eq!(s.vmdk_name, "ubuntu-disk1.vmdk");
        assert_eq!(s.size, vmdk.len() as u64);
        let bytes = std::fs::read(&ova).unwrap();
        assert_eq!(
            &bytes[s.offset as usize..s.offset as usize + vmdk.len()],
            &vmdk[..]
        );
    }

    #[test]
    fn rejects_non_stream_optimised() {
        let dir = tempfile::tempdir().unwrap();
        let mut vmdk = synthetic_stream_vmdk(1 << 30, 10);
        vmdk[8..12].copy_from_slice(&1u32.to_le_bytes());
        let p = dir.path().join("flat.vmdk");
        std::fs::write(&p, &vmdk).unwrap();
        let e = ImageSource::open(&p).unwrap_err().to_string();
        assert!(e.contains("not stream-optimised"), "{e}");
        let p = dir.path().join("junk.img");
        std::fs::write(&p, vec![7u8; 2048]).unwrap();
        assert!(ImageSource::open(&p).is_err());
    }
}
