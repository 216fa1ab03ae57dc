// Command memberlist-agent is the reference peer of `npm run bench:peers`: one or more
// hashicorp/memberlist members in one process, each bound to its own loopback address, that
// broadcast app messages through memberlist's TransmitLimitedQueue (the way Serf and Consul
// gossip user events) and report every delivery on stdout.
//
// Why it exists: the targets for our sidecars are ratios against memberlist measured in
// the same run on the same machine, so the bench needs a memberlist peer it can drive exactly as
// it drives a sidecar's Overlay API.
//
// Control channel (JSON lines). stdin, one command a line:
//
//	{"cmd":"join","seeds":["127.1.2.3:7946"]}  every member of the process joins the seeds
//	{"cmd":"broadcast","m":0,"id":"b17"}        member 0 queues broadcast b17
//	{"cmd":"members"}                           every member reports its member count
//
// stdout, one event a line (times are CLOCK_REALTIME in ms, fractional):
//
//	{"ev":"ready","m":0,"addr":"127.1.2.3:7946","memberlist":"v0.7.0","go":"go1.26.8"}
//	{"ev":"joined","m":0,"contacted":3}
//	{"ev":"members","m":0,"n":30}               on every join or leave, and on "members"
//	{"ev":"sent","m":0,"id":"b17","atMs":...}
//	{"ev":"delivered","m":4,"id":"b17","sentMs":...,"atMs":...}
//	{"ev":"error","m":0,"error":"..."}
//
// stdin closing, SIGTERM or SIGINT end the process (no graceful leave: the bench kills members
// to measure what survivors receive, and a stopped fleet needs no farewell gossip).
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

// memberlistModule is the module whose version the agent reports in its "ready" line.
const memberlistModule = "github.com/hashicorp/memberlist"

// seenLimit bounds the broadcast ids each member remembers to deliver a broadcast once and
// re-gossip it once; the bench sends far fewer. Wild guess.
const seenLimit = 1 << 16

// headerBytes is the wire header of an app broadcast: 8 bytes of send time (µs since the Unix
// epoch) and 2 bytes of id length, then the id and the payload.
const headerBytes = 10

// events serialises stdout: memberlist calls delegates from several goroutines.
type events struct {
	mu  sync.Mutex
	out *bufio.Writer
}

func (e *events) emit(v map[string]any) {
	line, err := json.Marshal(v)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.out.Write(line)
	_ = e.out.WriteByte('\n')
	_ = e.out.Flush()
}

// nowMs is CLOCK_REALTIME in fractional ms, the clock the bench compares across processes.
func nowMs() float64 { return float64(time.Now().UnixMicro()) / 1000 }

// appBroadcast is one app message in the TransmitLimitedQueue; each is unique (never invalidates
// another), which spares the queue its duplicate scan.
type appBroadcast struct{ msg []byte }

func (b *appBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b *appBroadcast) Message() []byte                       { return b.msg }
func (b *appBroadcast) Finished()                             {}
func (b *appBroadcast) UniqueBroadcast()                      {}

// member is one memberlist member and its delegate.
type member struct {
	index int
	list  *memberlist.Memberlist
	queue *memberlist.TransmitLimitedQueue
	ev    *events

	mu       sync.Mutex
	alive    map[string]struct{}
	seen     map[string]struct{}
	seenRing []string
	next     int
}

// markSeen records id; false when it was already seen.
func (m *member) markSeen(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seen[id]; ok {
		return false
	}
	if len(m.seenRing) < seenLimit {
		m.seenRing = append(m.seenRing, id)
	} else {
		delete(m.seen, m.seenRing[m.next])
		m.seenRing[m.next] = id
		m.next = (m.next + 1) % seenLimit
	}
	m.seen[id] = struct{}{}
	return true
}

func encode(id string, sentMicros int64, payload []byte) []byte {
	msg := make([]byte, headerBytes+len(id)+len(payload))
	binary.BigEndian.PutUint64(msg[0:8], uint64(sentMicros))
	binary.BigEndian.PutUint16(msg[8:10], uint16(len(id)))
	copy(msg[headerBytes:], id)
	copy(msg[headerBytes+len(id):], payload)
	return msg
}

func decode(msg []byte) (id string, sentMicros int64, ok bool) {
	if len(msg) < headerBytes {
		return "", 0, false
	}
	n := int(binary.BigEndian.Uint16(msg[8:10]))
	if len(msg) < headerBytes+n {
		return "", 0, false
	}
	return string(msg[headerBytes : headerBytes+n]), int64(binary.BigEndian.Uint64(msg[0:8])), true
}

// broadcast queues a new app message from this member.
func (m *member) broadcast(id string, payload []byte) {
	sent := time.Now().UnixMicro()
	m.markSeen(id)
	m.queue.QueueBroadcast(&appBroadcast{msg: encode(id, sent, payload)})
	m.ev.emit(map[string]any{"ev": "sent", "m": m.index, "id": id, "atMs": float64(sent) / 1000})
}

// Delegate: a user message arrives. The first copy is delivered and gossiped on (epidemic
// broadcast, as Serf does with user events); later copies are dropped.
func (m *member) NotifyMsg(buf []byte) {
	at := nowMs()
	id, sent, ok := decode(buf)
	if !ok || !m.markSeen(id) {
		return
	}
	msg := make([]byte, len(buf)) // memberlist reuses buf after NotifyMsg returns
	copy(msg, buf)
	m.queue.QueueBroadcast(&appBroadcast{msg: msg})
	m.ev.emit(map[string]any{"ev": "delivered", "m": m.index, "id": id, "sentMs": float64(sent) / 1000, "atMs": at})
}

func (m *member) NodeMeta(int) []byte { return nil }
func (m *member) GetBroadcasts(overhead, limit int) [][]byte {
	return m.queue.GetBroadcasts(overhead, limit)
}
func (m *member) LocalState(bool) []byte                 { return nil }
func (m *member) MergeRemoteState(buf []byte, join bool) {}

// EventDelegate: membership changed. memberlist calls it holding its node lock, so the count is
// kept here (NumMembers would take that lock again and deadlock).
func (m *member) NotifyJoin(n *memberlist.Node)  { m.changeMembers(n.Name, true) }
func (m *member) NotifyLeave(n *memberlist.Node) { m.changeMembers(n.Name, false) }
func (m *member) NotifyUpdate(*memberlist.Node)  {}

func (m *member) changeMembers(name string, joined bool) {
	m.mu.Lock()
	if joined {
		m.alive[name] = struct{}{}
	} else {
		delete(m.alive, name)
	}
	m.mu.Unlock()
	m.reportMembers()
}

func (m *member) reportMembers() {
	m.mu.Lock()
	n := len(m.alive)
	m.mu.Unlock()
	m.ev.emit(map[string]any{"ev": "members", "m": m.index, "n": n})
}

func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == memberlistModule {
			return d.Version
		}
	}
	return "unknown"
}

func startMember(index int, addr string, port int, ev *events, logs io.Writer) (*member, error) {
	m := &member{index: index, ev: ev, alive: make(map[string]struct{}), seen: make(map[string]struct{})}
	conf := memberlist.DefaultLANConfig()
	conf.Name = net.JoinHostPort(addr, strconv.Itoa(port))
	conf.BindAddr = addr
	conf.BindPort = port
	conf.AdvertiseAddr = addr
	conf.AdvertisePort = port
	conf.Delegate = m
	conf.Events = m
	conf.LogOutput = logs
	m.queue = &memberlist.TransmitLimitedQueue{RetransmitMult: conf.RetransmitMult}
	list, err := memberlist.Create(conf)
	if err != nil {
		return nil, fmt.Errorf("member %d on %s: %w", index, conf.Name, err)
	}
	m.queue.NumNodes = list.NumMembers
	m.list = list
	ev.emit(map[string]any{"ev": "ready", "m": index, "addr": conf.Name, "memberlist": moduleVersion(), "go": runtime.Version()})
	return m, nil
}

type command struct {
	Cmd   string   `json:"cmd"`
	M     int      `json:"m"`
	ID    string   `json:"id"`
	Seeds []string `json:"seeds"`
}

func main() {
	addrs := flag.String("addrs", "", "comma-separated loopback addresses, one member each")
	port := flag.Int("port", 7946, "port of every member, on its own address (memberlist's default)")
	payloadBytes := flag.Int("payload-bytes", 64, "app payload size, as the bench's sidecar traffic")
	verbose := flag.Bool("verbose", false, "memberlist's own logs on stderr")
	flag.Parse()
	if *addrs == "" {
		fmt.Fprintln(os.Stderr, "memberlist-agent: --addrs is required")
		os.Exit(2)
	}
	for _, a := range strings.Split(*addrs, ",") {
		if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() {
			fmt.Fprintf(os.Stderr, "memberlist-agent: --addrs: %q is not a loopback address (127.0.0.0/8)\n", a)
			os.Exit(2)
		}
	}
	logs := io.Discard
	if *verbose {
		logs = os.Stderr
	}
	ev := &events{out: bufio.NewWriter(os.Stdout)}
	var members []*member
	for i, a := range strings.Split(*addrs, ",") {
		m, err := startMember(i, a, *port, ev, logs)
		if err != nil {
			fmt.Fprintf(os.Stderr, "memberlist-agent: %v\n", err)
			os.Exit(1)
		}
		members = append(members, m)
	}
	payload := make([]byte, *payloadBytes)
	for i := range payload {
		payload[i] = 7
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			handle(in.Bytes(), members, payload, ev)
		}
		close(done)
	}()
	select {
	case <-signals:
	case <-done:
	}
	for _, m := range members {
		_ = m.list.Shutdown()
	}
}

func handle(line []byte, members []*member, payload []byte, ev *events) {
	var c command
	if err := json.Unmarshal(line, &c); err != nil {
		ev.emit(map[string]any{"ev": "error", "m": -1, "error": "bad command: " + err.Error()})
		return
	}
	switch c.Cmd {
	case "join":
		for _, m := range members {
			go func(m *member) {
				n, err := m.list.Join(c.Seeds)
				if err != nil && n == 0 {
					ev.emit(map[string]any{"ev": "error", "m": m.index, "error": "join: " + err.Error()})
					return
				}
				ev.emit(map[string]any{"ev": "joined", "m": m.index, "contacted": n})
			}(m)
		}
	case "broadcast":
		if c.M < 0 || c.M >= len(members) || c.ID == "" {
			ev.emit(map[string]any{"ev": "error", "m": c.M, "error": "broadcast needs m in range and an id"})
			return
		}
		members[c.M].broadcast(c.ID, payload)
	case "members":
		for _, m := range members {
			m.reportMembers()
		}
	default:
		ev.emit(map[string]any{"ev": "error", "m": c.M, "error": "unknown command " + strconv.Quote(c.Cmd)})
	}
}
