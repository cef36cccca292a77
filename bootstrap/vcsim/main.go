// Command vcsim is the project's launcher for VMware's vSphere simulator (govmomi, ESX model).
//
// It stands in for one standalone ESXi host in the bootstrap crate's tests, and it is also the
// independent client those tests use to check what `bootstrap up` created.
//
//	vcsim serve   [-addr 127.0.0.1:0] [-tls] [-licence eval|free] [-restrict-writes]
//	              [-fail-create-vm] [-guest-ip]
//	    Starts simulator.ESX() and prints one JSON line {"url": ..., "cert": ...} on stdout.
//	    Runs until stdin is closed or the process is signalled.
//	vcsim create -url URL -name VM
//	    Creates a VM bootstrap does not own (to test name conflicts).
//	vcsim poweroff -url URL -name VM
//	    Powers a VM off (to test that `up` resumes it).
//	vcsim inspect -url URL
//	    Prints every VM (name, CPU, memory, disks, NICs, extraConfig, power, guest IP) as JSON,
//	    read through govmomi, not through the bootstrap crate's client.
//
// Fault injection (to test how bootstrap reports them; the simulator never raises them itself):
//
//	-licence free     the licence manager reports the free "esxBasic" edition, like a free ESXi
//	-restrict-writes  write methods fail with the RestrictedVersion fault a free licence causes
//	-fail-create-vm   CreateVM_Task requests name a missing disk file, so the simulator's own
//	                  task fails (FileNotFound) and reports it in Task.info.error
//	-fault-file F     the same, only for the VM names listed in F, and only while F exists
//	-nfc-log F        record each NFC upload (size, sha256, content type) in F, since the
//	                  simulator itself discards what is uploaded
//	-nfc-rate K       with -nfc-log, read uploads at K KiB/s (to see progress reporting)
//	-guest-ip         a guest-agent double: once a VM is powered on, its planned address (read
//	                  from guestinfo.metadata) is reported as guest.ipAddress, as VMware Tools would
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vcsim serve|inspect [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "inspect":
		err = inspect(os.Args[2:])
	case "poweroff":
		err = powerOff(os.Args[2:])
	case "create":
		err = createForeign(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want serve or inspect)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vcsim:", err)
		os.Exit(1)
	}
}

var writeMethods = []string{"CreateVM_Task", "PowerOnVM_Task", "ImportVApp", "ReconfigVM_Task",
	"Destroy_Task", "PowerOffVM_Task", "MakeDirectory", "CopyVirtualDisk_Task", "RegisterVM_Task"}

func soapFault(w http.ResponseWriter, fault, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring>
<detail><%sFault xmlns="urn:vim25" xsi:type="%s"></%sFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		msg, fault, fault, fault)
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	useTLS := fs.Bool("tls", false, "serve https with a self-signed certificate")
	licence := fs.String("licence", "eval", "licence edition to report: eval or free")
	restrict := fs.Bool("restrict-writes", false, "fail write methods with RestrictedVersion")
	failCreate := fs.Bool("fail-create-vm", false, "make CreateVM_Task fail inside the task")
	nfcRate := fs.Int("nfc-rate", 0, "with -nfc-log: accept uploads at most this many KiB/s (a slow link)")
	nfcLog := fs.String("nfc-log", "", "append one JSON line per NFC upload (path, method, content type, size, sha256) to this file")
	faultFile := fs.String("fault-file", "", "while this file exists, CreateVM_Task fails for the VM names it lists (one per line)")
	guestIP := fs.Bool("guest-ip", false, "report planned IPs of powered-on VMs as guest IPs")
	if err := fs.Parse(args); err != nil {
		return err
	}

	model := simulator.ESX()
	if err := model.Create(); err != nil {
		return err
	}
	defer model.Remove()
	model.Service.Listen = &url.URL{Host: *addr}
	if *useTLS {
		cert, err := selfSigned()
		if err != nil {
			return err
		}
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	}

	if *licence == "free" {
		lm := simulator.Map.Get(*model.ServiceContent.LicenseManager).(*simulator.LicenseManager)
		lm.Licenses = []types.LicenseManagerLicenseInfo{{
			LicenseKey: "00000-00000-00000-00000-00000",
			EditionKey: "esxBasic",
			Name:       "VMware vSphere 6 Hypervisor",
			Total:      0,
		}}
		*restrict = true
	} else if *licence != "eval" {
		return fmt.Errorf("-licence must be eval or free, not %q", *licence)
	}

	server := model.Service.NewServer()
	defer server.Close()
	inner := server.Config.Handler
	server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *nfcLog != "" && strings.HasPrefix(r.URL.Path, "/nfc/") && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
			// The simulator discards upload bodies; record what arrived so tests can check it.
			h := sha256.New()
			var src io.Reader = r.Body
			if *nfcRate > 0 {
				src = &slowReader{r: r.Body, perSecond: *nfcRate * 1024, start: time.Now()}
			}
			n, err := io.Copy(h, src)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			line, _ := json.Marshal(map[string]interface{}{"path": r.URL.Path, "method": r.Method,
				"content_type": r.Header.Get("Content-Type"), "size": n, "sha256": hex.EncodeToString(h.Sum(nil))})
			if f, err := os.OpenFile(*nfcLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0644); err == nil {
				_, _ = f.Write(append(line, '\n'))
				_ = f.Close()
			}
			r.Body = ioutil.NopCloser(bytes.NewReader(nil))
			r.ContentLength = 0
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sdk") && (*restrict || *failCreate || *faultFile != "") {
			body, err := ioutil.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if *restrict {
				for _, m := range writeMethods {
					if bytes.Contains(body, []byte("<"+m)) || bytes.Contains(body, []byte(":"+m+" ")) || bytes.Contains(body, []byte(":"+m+">")) {
						soapFault(w, "RestrictedVersion", "Current license or ESXi version prohibits execution of the requested operation.")
						return
					}
				}
			}
			fail := *failCreate
			if !fail && *faultFile != "" && bytes.Contains(body, []byte("CreateVM_Task")) {
				if names, err := ioutil.ReadFile(*faultFile); err == nil {
					for _, n := range strings.Fields(string(names)) {
						if bytes.Contains(body, []byte("<name>"+n+"</name>")) {
							fail = true
						}
					}
				}
			}
			if fail && bytes.Contains(body, []byte("CreateVM_Task")) {
				// Point the disk at a file that does not exist: the simulator's own CreateVM task
				// fails with FileNotFound (and leaves the .vmx behind, as an interrupted run would).
				body = regexp.MustCompile(`\.vmdk</fileName>`).ReplaceAll(body, []byte("-injected-missing.vmdk</fileName>"))
			}
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		inner.ServeHTTP(w, r)
	})

	cert := ""
	if *useTLS {
		var err error
		if cert, err = server.CertificateFile(); err != nil {
			return err
		}
	}
	u := *server.URL
	u.User = nil
	line, _ := json.Marshal(map[string]string{"url": u.String(), "cert": cert})
	fmt.Println(string(line))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if *guestIP {
		go guestAgent(ctx, server.URL)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(ioutil.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-sig:
	case <-stdinClosed:
	}
	return nil
}

// slowReader limits reads to perSecond bytes per second on average.
type slowReader struct {
	r         io.Reader
	perSecond int
	start     time.Time
	n         int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > s.perSecond/10 {
		p = p[:s.perSecond/10]
	}
	due := s.start.Add(time.Duration(float64(s.n) / float64(s.perSecond) * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		time.Sleep(wait)
	}
	n, err := s.r.Read(p)
	s.n += n
	return n, err
}

// selfSigned makes a P-256 leaf certificate for 127.0.0.1/localhost, like a host's own
// self-signed certificate (govmomi's built-in test certificate is RSA-1024, which rustls/ring
// rightly refuse).
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost.localdomain"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

var addrRe = regexp.MustCompile(`(\d+\.\d+\.\d+\.\d+)/\d+`)

func decodeGuestinfo(value, encoding string) string {
	if encoding == "" {
		return value
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return ""
	}
	if encoding == "base64" {
		return string(raw)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	out, err := ioutil.ReadAll(zr)
	if err != nil {
		return ""
	}
	return string(out)
}

// guestAgent plays VMware Tools: it reports each powered-on VM's planned address as guest IP.
func guestAgent(ctx context.Context, u *url.URL) {
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vcsim guest agent:", err)
		return
	}
	for ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		vms, err := allVMs(ctx, c)
		if err != nil {
			continue
		}
		for _, vm := range vms {
			if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || vm.Guest == nil || vm.Guest.IpAddress != "" || vm.Config == nil {
				continue
			}
			ec := extraConfig(vm.Config.ExtraConfig)
			meta := decodeGuestinfo(ec["guestinfo.metadata"], ec["guestinfo.metadata.encoding"])
			m := addrRe.FindStringSubmatch(meta)
			if m == nil {
				continue
			}
			spec := types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
				&types.OptionValue{Key: "SET.guest.ipAddress", Value: m[1]}}}
			obj := mo.Reference(vm).Reference()
			task, err := objectVM(c, obj).Reconfigure(ctx, spec)
			if err == nil {
				_ = task.Wait(ctx)
			}
		}
	}
}

func extraConfig(opts []types.BaseOptionValue) map[string]string {
	out := map[string]string{}
	for _, o := range opts {
		v := o.GetOptionValue()
		out[v.Key] = fmt.Sprint(v.Value)
	}
	return out
}

func allVMs(ctx context.Context, c *govmomi.Client) ([]mo.VirtualMachine, error) {
	m := view.NewManager(c.Client)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	err = v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config", "runtime", "guest"}, &vms)
	return vms, err
}

// createForeign creates a plain VM that no bootstrap owner marker claims.
func createForeign(args []string) error {
	fs := flag.NewFlagSet("create", flag.ExitOnError)
	raw := fs.String("url", "", "simulator SDK URL")
	name := fs.String("name", "", "VM name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*raw)
	if err != nil {
		return err
	}
	u.User = url.UserPassword("inspector", "inspector")
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return err
	}
	folder := object.NewFolder(c.Client, types.ManagedObjectReference{Type: "Folder", Value: "ha-folder-vm"})
	pool := object.NewResourcePool(c.Client, types.ManagedObjectReference{Type: "ResourcePool", Value: "ha-root-pool"})
	task, err := folder.CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name:     *name,
		GuestId:  "otherGuest",
		MemoryMB: 32,
		Files:    &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
	}, pool, nil)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

func powerOff(args []string) error {
	fs := flag.NewFlagSet("poweroff", flag.ExitOnError)
	raw := fs.String("url", "", "simulator SDK URL")
	name := fs.String("name", "", "VM name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*raw)
	if err != nil {
		return err
	}
	u.User = url.UserPassword("inspector", "inspector")
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return err
	}
	vms, err := allVMs(ctx, c)
	if err != nil {
		return err
	}
	for _, vm := range vms {
		if vm.Name == *name {
			task, err := objectVM(c, vm.Reference()).PowerOff(ctx)
			if err != nil {
				return err
			}
			return task.Wait(ctx)
		}
	}
	return fmt.Errorf("no VM named %q", *name)
}

type diskJSON struct {
	File       string `json:"file"`
	CapacityKB int64  `json:"capacity_kb"`
}

type nicJSON struct {
	Type        string `json:"type"`
	MAC         string `json:"mac"`
	AddressType string `json:"address_type"`
	Network     string `json:"network"`
}

type vmJSON struct {
	Name        string            `json:"name"`
	Annotation  string            `json:"annotation"`
	GuestID     string            `json:"guest_id"`
	NumCPU      int32             `json:"num_cpu"`
	MemoryMB    int32             `json:"memory_mb"`
	PowerState  string            `json:"power_state"`
	GuestIP     string            `json:"guest_ip"`
	Disks       []diskJSON        `json:"disks"`
	NICs        []nicJSON         `json:"nics"`
	ExtraConfig map[string]string `json:"extra_config"`
}

func inspect(args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ExitOnError)
	raw := fs.String("url", "", "simulator SDK URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*raw)
	if err != nil {
		return err
	}
	u.User = url.UserPassword("inspector", "inspector")
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return err
	}
	vms, err := allVMs(ctx, c)
	if err != nil {
		return err
	}
	out := []vmJSON{}
	for _, vm := range vms {
		j := vmJSON{Name: vm.Name, PowerState: string(vm.Runtime.PowerState), ExtraConfig: map[string]string{},
			Disks: []diskJSON{}, NICs: []nicJSON{}}
		if vm.Guest != nil {
			j.GuestIP = vm.Guest.IpAddress
		}
		if vm.Config != nil {
			j.Annotation = vm.Config.Annotation
			j.GuestID = vm.Config.GuestId
			j.NumCPU = vm.Config.Hardware.NumCPU
			j.MemoryMB = vm.Config.Hardware.MemoryMB
			j.ExtraConfig = extraConfig(vm.Config.ExtraConfig)
			for _, d := range vm.Config.Hardware.Device {
				switch dev := d.(type) {
				case *types.VirtualDisk:
					file := ""
					if b, ok := dev.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
						file = b.GetVirtualDeviceFileBackingInfo().FileName
					}
					j.Disks = append(j.Disks, diskJSON{File: file, CapacityKB: dev.CapacityInKB})
				case types.BaseVirtualEthernetCard:
					card := dev.GetVirtualEthernetCard()
					network := ""
					if b, ok := card.Backing.(*types.VirtualEthernetCardNetworkBackingInfo); ok {
						network = b.DeviceName
					}
					j.NICs = append(j.NICs, nicJSON{Type: fmt.Sprintf("%T", d)[7:], MAC: card.MacAddress,
						AddressType: card.AddressType, Network: network})
				}
			}
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func objectVM(c *govmomi.Client, ref types.ManagedObjectReference) *object.VirtualMachine {
	return object.NewVirtualMachine(c.Client, ref)
}
