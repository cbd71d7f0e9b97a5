// toxiclient: the Toxiproxy conformance checks of test/real/proxy-conformance.test.ts, driven
// through the official Go client (github.com/Shopify/toxiproxy/v2/client, the version of the
// server scripts/real/toxiproxy.sh builds).
//
//	toxiclient <api-url> [<echo-upstream host:port>] [-prefix name] [-reset]
//
// Prints one JSON line per check: {"name","ok","detail"} (and "skipped" when a check was not run).
// Details hold no ports or ids, so the lines of two servers can be compared as they are.
// Proxies are named <prefix>_*, so a shared server keeps its other proxies; the reset check
// (which touches every proxy) only runs when the server holds no proxy but ours.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

type result struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
	Skipped bool   `json:"skipped,omitempty"`
}

var (
	api      string
	upstream string
	prefix   string
	client   *toxiproxy.Client
)

// errSkip marks a check that was deliberately not run (its detail says why)
type errSkip struct{ why string }

func (e errSkip) Error() string { return e.why }

func run(name string, f func() (string, error)) {
	detail, err := func() (d string, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return f()
	}()
	r := result{Name: name, OK: err == nil, Detail: detail}
	var skip errSkip
	if errors.As(err, &skip) {
		r = result{Name: name, OK: true, Skipped: true, Detail: skip.why}
	} else if err != nil {
		r.Detail = err.Error()
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
}

func fail(format string, a ...any) error { return fmt.Errorf(format, a...) }

// apiStatus is the status and message of an API error from the client ("" when err is not one)
func apiStatus(err error) (int, string) {
	var ae *toxiproxy.ApiError
	if errors.As(err, &ae) {
		return ae.Status, ae.Message
	}
	return 0, ""
}

// expectAPIError checks err is an API error with this status and message prefix
func expectAPIError(err error, status int, msg string) (string, error) {
	if err == nil {
		return "", fail("succeeded, expected HTTP %d", status)
	}
	s, m := apiStatus(err)
	if s != status || !strings.HasPrefix(m, msg) {
		return "", fail("got %v, expected HTTP %d: %s", err, status, msg)
	}
	return fmt.Sprintf("HTTP %d: %s", s, msg), nil
}

// toxicText is a toxic as a stable string: sorted attribute keys, no ids
func toxicText(t *toxiproxy.Toxic) string {
	keys := make([]string, 0, len(t.Attributes))
	for k := range t.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]string, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, fmt.Sprintf("%s=%v", k, t.Attributes[k]))
	}
	return fmt.Sprintf("%s type=%s stream=%s toxicity=%g attrs{%s}", t.Name, t.Type, t.Stream, t.Toxicity, strings.Join(attrs, ","))
}

func findToxic(p *toxiproxy.Proxy, name string) (*toxiproxy.Toxic, error) {
	list, err := p.Toxics()
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i], nil
		}
	}
	return nil, nil
}

// exchange sends msg through addr and reads until want bytes, EOF, error or the deadline
func exchange(addr string, msg []byte, want int, wait time.Duration) (got []byte, elapsed time.Duration, readErr error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	start := time.Now()
	_ = conn.SetDeadline(start.Add(wait))
	if _, err := conn.Write(msg); err != nil {
		return nil, time.Since(start), err
	}
	buf := make([]byte, 64*1024)
	for len(got) < want {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, time.Since(start), err
		}
	}
	return got, time.Since(start), nil
}

// echoes checks bytes come back unchanged through the proxy
func echoes(p *toxiproxy.Proxy, size int) (time.Duration, error) {
	msg := bytes.Repeat([]byte("fogsim-"), size/7+1)[:size]
	got, took, err := exchange(p.Listen, msg, size, 10*time.Second)
	if err != nil {
		return took, fail("echo of %d bytes: %d back, %v", size, len(got), err)
	}
	if !bytes.Equal(got, msg) {
		return took, fail("echo of %d bytes came back changed", size)
	}
	return took, nil
}

func rawRequest(method, path, body string) (int, string, error) {
	req, err := http.NewRequest(method, strings.TrimRight(api, "/")+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

// toxicCheck adds a toxic, compares what the server echoes with what it then lists, and runs probe
func toxicCheck(p *toxiproxy.Proxy, name, typ, stream string, toxicity float32, attrs toxiproxy.Attributes, probe func() (string, error)) (string, error) {
	t, err := p.AddToxic(name, typ, stream, toxicity, attrs)
	if err != nil {
		return "", err
	}
	defer func() { _ = p.RemoveToxic(t.Name) }()
	listed, err := findToxic(p, t.Name)
	if err != nil {
		return "", err
	}
	if listed == nil || toxicText(listed) != toxicText(t) {
		return "", fail("added %s, listed %v", toxicText(t), listed)
	}
	detail := toxicText(t)
	if probe != nil {
		extra, err := probe()
		if err != nil {
			return detail, err
		}
		if extra != "" {
			detail += "; " + extra
		}
	}
	return detail, nil
}

func main() {
	reset := flag.Bool("reset", false, "run the reset check even if the server holds proxies that are not ours")
	flag.StringVar(&prefix, "prefix", fmt.Sprintf("conf%d", os.Getpid()), "name prefix of the proxies this run makes")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: toxiclient [-prefix p] [-reset] <api-url> [<echo-upstream host:port>]")
		os.Exit(2)
	}
	api = flag.Arg(0)
	upstream = flag.Arg(1)
	if upstream == "" {
		upstream = startEcho()
	}
	client = toxiproxy.NewClient(api)
	n := func(s string) string { return prefix + "_" + s }

	// cleanup of an earlier run with the same prefix
	if all, err := client.Proxies(); err == nil {
		for name, p := range all {
			if strings.HasPrefix(name, prefix+"_") {
				_ = p.Delete()
			}
		}
	}

	run("version", func() (string, error) {
		b, err := client.Version()
		if err != nil {
			return "", err
		}
		var v struct{ Version string }
		if err := json.Unmarshal(b, &v); err != nil {
			return "", fail("version body %q: %v", b, err)
		}
		if !strings.HasPrefix(v.Version, "2.12.0") {
			return "", fail("version %q, expected 2.12.0", v.Version)
		}
		return "2.12.0", nil
	})

	var main *toxiproxy.Proxy
	run("proxy create", func() (string, error) {
		var err error
		main, err = client.CreateProxy(n("main"), "127.0.0.1:0", upstream)
		if err != nil {
			return "", err
		}
		host, port, _ := net.SplitHostPort(main.Listen)
		if host != "127.0.0.1" || port == "0" || !main.Enabled || main.Upstream != upstream || len(main.ActiveToxics) != 0 {
			return "", fail("created %+v", main)
		}
		return "listen 127.0.0.1:<port>, enabled, no toxics", nil
	})
	if main == nil {
		main = &toxiproxy.Proxy{Name: n("main")}
	}

	run("proxy create with listen localhost", func() (string, error) {
		p, err := client.CreateProxy(n("local"), "localhost:0", upstream)
		if err != nil {
			return "", err
		}
		defer p.Delete()
		host, port, _ := net.SplitHostPort(p.Listen)
		if port == "0" {
			return "", fail("listen %s", p.Listen)
		}
		return "listen " + host + ":<port>", nil
	})

	run("proxy create disabled", func() (string, error) {
		p := client.NewProxy()
		p.Name, p.Listen, p.Upstream, p.Enabled = n("off"), "127.0.0.1:0", upstream, false
		if err := p.Save(); err != nil {
			return "", err
		}
		defer p.Delete()
		got, err := client.Proxy(p.Name)
		if err != nil {
			return "", err
		}
		if got.Enabled {
			return "", fail("enabled after create with enabled=false")
		}
		return "enabled=false, listen " + got.Listen, nil
	})

	run("proxy create disabled with listen localhost", func() (string, error) {
		p := client.NewProxy()
		p.Name, p.Listen, p.Upstream, p.Enabled = n("offlocal"), "localhost:0", upstream, false
		if err := p.Save(); err != nil {
			return "", err
		}
		defer p.Delete()
		shown := p.Listen
		if err := p.Enable(); err != nil {
			return "", err
		}
		host, port, _ := net.SplitHostPort(p.Listen)
		if port == "0" {
			return "", fail("enabled on %s", p.Listen)
		}
		return "disabled shows " + shown + ", enabled listens on " + host + ":<port>", nil
	})

	run("proxy traffic", func() (string, error) {
		if _, err := echoes(main, 100_000); err != nil {
			return "", err
		}
		return "100000 bytes echoed", nil
	})

	run("proxy list", func() (string, error) {
		all, err := client.Proxies()
		if err != nil {
			return "", err
		}
		p := all[main.Name]
		if p == nil || p.Listen != main.Listen || p.Upstream != upstream || !p.Enabled {
			return "", fail("list has %+v", p)
		}
		return "lists the proxy", nil
	})

	run("proxy get", func() (string, error) {
		p, err := client.Proxy(main.Name)
		if err != nil {
			return "", err
		}
		if p.Name != main.Name || p.Listen != main.Listen || p.Upstream != upstream || !p.Enabled || p.ActiveToxics == nil {
			return "", fail("got %+v", p)
		}
		return "name, listen, upstream, enabled, toxics []", nil
	})

	run("proxy disable and enable", func() (string, error) {
		p, err := client.Proxy(main.Name)
		if err != nil {
			return "", err
		}
		if err := p.Disable(); err != nil {
			return "", err
		}
		if p.Enabled {
			return "", fail("answer to disable says enabled")
		}
		if c, err := net.DialTimeout("tcp", main.Listen, time.Second); err == nil {
			c.Close()
			return "", fail("disabled proxy still accepts connections")
		}
		if err := p.Enable(); err != nil {
			return "", err
		}
		if p.Listen != main.Listen {
			return "", fail("listen moved from %s to %s on enable", main.Listen, p.Listen)
		}
		if _, err := echoes(p, 10); err != nil {
			return "", err
		}
		return "disabled refuses connections; enabled again on the same listen", nil
	})

	run("proxy update upstream", func() (string, error) {
		p, err := client.CreateProxy(n("upd"), "127.0.0.1:0", "127.0.0.1:1")
		if err != nil {
			return "", err
		}
		defer p.Delete()
		p.Upstream = upstream
		if err := p.Save(); err != nil {
			return "", err
		}
		got, err := client.Proxy(p.Name)
		if err != nil {
			return "", err
		}
		if got.Upstream != upstream || !got.Enabled {
			return "", fail("after update %+v", got)
		}
		if _, err := echoes(got, 10); err != nil {
			return "", err
		}
		return "new upstream used", nil
	})

	run("populate", func() (string, error) {
		cfg := []toxiproxy.Proxy{
			{Name: n("pop1"), Listen: "127.0.0.1:0", Upstream: upstream, Enabled: true},
			{Name: n("pop2"), Listen: "127.0.0.1:0", Upstream: upstream, Enabled: false},
		}
		out, err := client.Populate(cfg)
		if err != nil {
			return "", err
		}
		defer func() {
			for _, p := range out {
				_ = p.Delete()
			}
		}()
		if len(out) != 2 || out[0].Name != cfg[0].Name || out[1].Name != cfg[1].Name || !out[0].Enabled || out[1].Enabled {
			return "", fail("populate answered %d proxies", len(out))
		}
		// the same config again: Toxiproxy keeps a proxy whose listen and upstream did not change
		again, err := client.Populate(cfg)
		if err != nil {
			return "", err
		}
		if len(again) != 2 {
			return "", fail("second populate answered %d proxies", len(again))
		}
		return fmt.Sprintf("2 proxies (enabled %v, %v); again: %d", out[0].Enabled, out[1].Enabled, len(again)), nil
	})

	run("populate missing upstream", func() (string, error) {
		_, err := client.Populate([]toxiproxy.Proxy{{Name: n("popbad"), Listen: "127.0.0.1:0"}})
		return expectAPIError(err, 400, "missing required field")
	})

	run("toxic latency", func() (string, error) {
		return toxicCheck(main, "lat", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 100, "jitter": 0}, func() (string, error) {
			took, err := echoes(main, 10)
			if err != nil {
				return "", err
			}
			if took < 90*time.Millisecond {
				return "", fail("round trip %v, expected >= 100ms", took)
			}
			return "round trip >= 100ms", nil
		})
	})

	run("toxic latency defaults (no name, no attributes)", func() (string, error) {
		t, err := main.AddToxic("", "latency", "", 1, nil)
		if err != nil {
			return "", err
		}
		defer main.RemoveToxic(t.Name)
		return toxicText(t), nil
	})

	run("toxic upstream with toxicity 0.5", func() (string, error) {
		return toxicCheck(main, "", "latency", "upstream", 0.5, toxiproxy.Attributes{"latency": 1, "jitter": 1}, nil)
	})

	run("toxic stream in capitals", func() (string, error) {
		return toxicCheck(main, "", "latency", "UPSTREAM", 1, toxiproxy.Attributes{"latency": 1}, nil)
	})

	run("toxic bandwidth", func() (string, error) {
		return toxicCheck(main, "bw", "bandwidth", "downstream", 1, toxiproxy.Attributes{"rate": 100}, func() (string, error) {
			took, err := echoes(main, 30_000)
			if err != nil {
				return "", err
			}
			if took < 200*time.Millisecond {
				return "", fail("30 KB at 100 KB/s took %v", took)
			}
			return "30 KB at 100 KB/s takes >= 200ms", nil
		})
	})

	run("toxic slow_close", func() (string, error) {
		return toxicCheck(main, "sc", "slow_close", "downstream", 1, toxiproxy.Attributes{"delay": 100}, func() (string, error) {
			if _, err := echoes(main, 1000); err != nil {
				return "", err
			}
			return "data passes", nil
		})
	})

	run("toxic timeout", func() (string, error) {
		return toxicCheck(main, "to", "timeout", "downstream", 1, toxiproxy.Attributes{"timeout": 150}, func() (string, error) {
			got, took, err := exchange(main.Listen, []byte("hello"), 5, 5*time.Second)
			if len(got) != 0 || err == nil {
				return "", fail("got %q, %v", got, err)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", fail("not closed within 5s")
			}
			if took < 100*time.Millisecond {
				return "", fail("closed after %v, expected about 150ms", took)
			}
			return "no data, closed after the timeout", nil
		})
	})

	run("toxic timeout 0 (hold forever)", func() (string, error) {
		return toxicCheck(main, "to0", "timeout", "downstream", 1, toxiproxy.Attributes{"timeout": 0}, func() (string, error) {
			got, _, err := exchange(main.Listen, []byte("hello"), 5, 500*time.Millisecond)
			var ne net.Error
			if len(got) != 0 || !errors.As(err, &ne) || !ne.Timeout() {
				return "", fail("got %q, %v; expected nothing until our deadline", got, err)
			}
			return "no data, connection held", nil
		})
	})

	run("toxic reset_peer", func() (string, error) {
		return toxicCheck(main, "rp", "reset_peer", "downstream", 1, toxiproxy.Attributes{"timeout": 0}, func() (string, error) {
			got, _, err := exchange(main.Listen, []byte("hello"), 5, 5*time.Second)
			if len(got) != 0 || err == nil || !strings.Contains(err.Error(), "connection reset") {
				return "", fail("got %q, %v; expected connection reset", got, err)
			}
			return "connection reset by peer", nil
		})
	})

	run("toxic slicer", func() (string, error) {
		return toxicCheck(main, "sl", "slicer", "downstream", 1, toxiproxy.Attributes{"average_size": 10, "size_variation": 5, "delay": 10}, func() (string, error) {
			if _, err := echoes(main, 2000); err != nil {
				return "", err
			}
			return "2000 bytes arrive whole", nil
		})
	})

	run("toxic limit_data", func() (string, error) {
		return toxicCheck(main, "ld", "limit_data", "downstream", 1, toxiproxy.Attributes{"bytes": 5}, func() (string, error) {
			got, _, err := exchange(main.Listen, []byte("0123456789"), 10, 5*time.Second)
			if string(got) != "01234" || err == nil {
				return "", fail("got %q, %v; expected 01234 then close", got, err)
			}
			return "5 bytes then closed", nil
		})
	})

	run("toxic update", func() (string, error) {
		if _, err := main.AddToxic("upd", "latency", "downstream", 0.5, toxiproxy.Attributes{"latency": 10, "jitter": 5}); err != nil {
			return "", err
		}
		defer main.RemoveToxic("upd")
		t, err := main.UpdateToxic("upd", -1, toxiproxy.Attributes{"latency": 300})
		if err != nil {
			return "", err
		}
		listed, err := findToxic(main, "upd")
		if err != nil || listed == nil || toxicText(listed) != toxicText(t) {
			return "", fail("updated %s, listed %v (%v)", toxicText(t), listed, err)
		}
		t2, err := main.UpdateToxic("upd", 1, toxiproxy.Attributes{})
		if err != nil {
			return "", err
		}
		took, err := echoes(main, 10)
		if err != nil {
			return "", err
		}
		if took < 280*time.Millisecond {
			return "", fail("round trip %v after update to 300ms", took)
		}
		return toxicText(t) + " then " + toxicText(t2) + "; round trip >= 300ms", nil
	})

	run("toxic remove", func() (string, error) {
		if _, err := main.AddToxic("rm", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 500}); err != nil {
			return "", err
		}
		if err := main.RemoveToxic("rm"); err != nil {
			return "", err
		}
		if t, err := findToxic(main, "rm"); err != nil || t != nil {
			return "", fail("still listed: %v %v", t, err)
		}
		took, err := echoes(main, 10)
		if err != nil {
			return "", err
		}
		if took > 400*time.Millisecond {
			return "", fail("round trip %v after remove", took)
		}
		return "gone from the list and the data path", nil
	})

	run("toxics listed upstream first", func() (string, error) {
		for _, s := range []string{"downstream", "upstream"} {
			if _, err := main.AddToxic("ord_"+s, "latency", s, 1, nil); err != nil {
				return "", err
			}
			defer main.RemoveToxic("ord_" + s)
		}
		list, err := main.Toxics()
		if err != nil {
			return "", err
		}
		names := []string{}
		for _, t := range list {
			names = append(names, t.Name)
		}
		return strings.Join(names, ","), nil
	})

	run("error: duplicate proxy", func() (string, error) {
		_, err := client.CreateProxy(main.Name, "127.0.0.1:0", upstream)
		return expectAPIError(err, 409, "proxy already exists")
	})

	run("error: missing proxy", func() (string, error) {
		_, err := client.Proxy(n("nope"))
		return expectAPIError(err, 404, "proxy not found")
	})

	run("error: delete missing proxy", func() (string, error) {
		p := client.NewProxy()
		p.Name = n("nope")
		return expectAPIError(p.Delete(), 404, "proxy not found")
	})

	run("error: missing toxic (update and remove)", func() (string, error) {
		_, err := main.UpdateToxic("nope", -1, toxiproxy.Attributes{})
		if d, err := expectAPIError(err, 404, "toxic not found"); err != nil {
			return d, err
		}
		return expectAPIError(main.RemoveToxic("nope"), 404, "toxic not found")
	})

	run("error: toxic on a missing proxy", func() (string, error) {
		p := client.NewProxy()
		p.Name = n("nope")
		_, err := p.AddToxic("x", "latency", "downstream", 1, nil)
		return expectAPIError(err, 404, "proxy not found")
	})

	run("error: duplicate toxic", func() (string, error) {
		if _, err := main.AddToxic("dup", "latency", "downstream", 1, nil); err != nil {
			return "", err
		}
		defer main.RemoveToxic("dup")
		_, err := main.AddToxic("dup", "latency", "downstream", 1, nil)
		return expectAPIError(err, 409, "toxic already exists")
	})

	run("error: duplicate toxic with bad attributes", func() (string, error) {
		if _, err := main.AddToxic("dup2", "latency", "downstream", 1, nil); err != nil {
			return "", err
		}
		defer main.RemoveToxic("dup2")
		_, err := main.AddToxic("dup2", "latency", "downstream", 1, toxiproxy.Attributes{"latency": "slow"})
		return expectAPIError(err, 409, "toxic already exists")
	})

	run("error: bad toxic type", func() (string, error) {
		_, err := main.AddToxic("", "no_such_toxic", "downstream", 1, nil)
		return expectAPIError(err, 400, "invalid toxic type")
	})

	run("error: bad stream", func() (string, error) {
		_, err := main.AddToxic("", "latency", "sideways", 1, nil)
		return expectAPIError(err, 400, "stream was invalid, can be either upstream or downstream")
	})

	run("error: bad attribute value", func() (string, error) {
		_, err := main.AddToxic("", "latency", "downstream", 1, toxiproxy.Attributes{"latency": "slow"})
		return expectAPIError(err, 400, "bad request body")
	})

	run("error: missing name and upstream", func() (string, error) {
		_, err := client.CreateProxy("", "127.0.0.1:0", upstream)
		d1, err1 := expectAPIError(err, 400, "missing required field: name")
		if err1 != nil {
			return d1, err1
		}
		_, err = client.CreateProxy(n("noup"), "127.0.0.1:0", "")
		d2, err2 := expectAPIError(err, 400, "missing required field: upstream")
		return d1 + "; " + d2, err2
	})

	run("error: listen address in use", func() (string, error) {
		_, err := client.CreateProxy(n("clash"), main.Listen, upstream)
		if err == nil {
			p, _ := client.Proxy(n("clash"))
			if p != nil {
				_ = p.Delete()
			}
			return "", fail("a second proxy on %s was created", main.Listen)
		}
		s, m := apiStatus(err)
		if s != 500 || !strings.Contains(m, "address already in use") {
			return "", fail("got %v", err)
		}
		if p, err := client.Proxy(n("clash")); err == nil {
			_ = p.Delete()
			return "", fail("the failed proxy is listed")
		}
		return "HTTP 500: listen tcp <addr>: bind: address already in use; not listed", nil
	})

	run("error: bad JSON", func() (string, error) {
		status, body, err := rawRequest("POST", "/proxies", "{bad json")
		if err != nil {
			return "", err
		}
		var ae toxiproxy.ApiError
		if err := json.Unmarshal([]byte(body), &ae); err != nil {
			return "", fail("body %q is not a JSON error: %v", body, err)
		}
		if status != 400 || ae.Status != 400 || !strings.HasPrefix(ae.Message, "bad request body: ") {
			return "", fail("HTTP %d %q", status, body)
		}
		status, body, _ = rawRequest("POST", "/proxies/"+main.Name+"/toxics", "[1,")
		if err := json.Unmarshal([]byte(body), &ae); err != nil || status != 400 || !strings.HasPrefix(ae.Message, "bad request body: ") {
			return "", fail("toxic: HTTP %d %q", status, body)
		}
		return "HTTP 400: bad request body: <decoder message>", nil
	})

	run("error: unknown route", func() (string, error) {
		status, body, err := rawRequest("GET", "/nope", "")
		if err != nil {
			return "", err
		}
		if status != 404 || body != "404 page not found\n" {
			return "", fail("HTTP %d %q", status, body)
		}
		return "HTTP 404: 404 page not found", nil
	})

	run("error: wrong method", func() (string, error) {
		out := []string{}
		for _, mp := range [][2]string{{"PUT", "/proxies"}, {"PATCH", "/proxies"}, {"DELETE", "/version"}, {"GET", "/reset"}, {"PUT", "/proxies/" + main.Name + "/toxics"}} {
			status, body, err := rawRequest(mp[0], mp[1], "")
			if err != nil {
				return "", err
			}
			if status != 405 || body != "" {
				return "", fail("%s %s: HTTP %d %q", mp[0], mp[1], status, body)
			}
			out = append(out, mp[0]+" "+strings.Replace(mp[1], main.Name, "P", 1))
		}
		return "HTTP 405, empty body: " + strings.Join(out, ", "), nil
	})

	run("answer framing", func() (string, error) {
		// what a client sees besides the JSON: content types, request ids, the error's newline
		type probe struct{ method, path, body string }
		out := []string{}
		for _, p := range []probe{
			{"GET", "/proxies/" + main.Name, ""},
			{"GET", "/proxies/" + n("nope"), ""},
			{"POST", "/populate", `[{"name":"` + n("frame") + `"}]`},
			{"POST", "/proxies/" + main.Name + "/toxics", `{"type":"nope"}`},
			{"GET", "/nope", ""},
		} {
			req, _ := http.NewRequest(p.method, strings.TrimRight(api, "/")+p.path, strings.NewReader(p.body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", err
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			out = append(out, fmt.Sprintf("%s %s: %d %q id=%v nl=%v", p.method, strings.Replace(strings.Replace(p.path, main.Name, "P", 1), prefix, "X", 1), res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("X-Toxiproxy-Request-Id") != "", strings.HasSuffix(string(b), "\n")))
		}
		return strings.Join(out, "; "), nil
	})

	run("populate error answer", func() (string, error) {
		status, body, err := rawRequest("POST", "/populate", `[{"name":"`+n("pe1")+`","listen":"127.0.0.1:0","upstream":"`+upstream+`"},{"name":"`+n("pe2")+`"}]`)
		if err != nil {
			return "", err
		}
		defer func() {
			if p, err := client.Proxy(n("pe1")); err == nil {
				_ = p.Delete()
			}
		}()
		var r struct {
			Error   string `json:"error"`
			Status  int    `json:"status"`
			Proxies []struct {
				Name string `json:"name"`
			} `json:"proxies"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return "", fail("HTTP %d %q", status, body)
		}
		names := []string{}
		for _, p := range r.Proxies {
			names = append(names, strings.Replace(p.Name, prefix, "X", 1))
		}
		_, getErr := client.Proxy(n("pe1"))
		return fmt.Sprintf("HTTP %d %s %d, proxies %v, first created: %v", status, r.Error, r.Status, names, getErr == nil), nil
	})

	run("proxy update listen", func() (string, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		free := l.Addr().String()
		l.Close()
		p, err := client.CreateProxy(n("mv"), "127.0.0.1:0", upstream)
		if err != nil {
			return "", err
		}
		defer p.Delete()
		old := p.Listen
		p.Listen = free
		if err := p.Save(); err != nil {
			return "", err
		}
		if p.Listen != free {
			return "", fail("listen %s after update to %s", p.Listen, free)
		}
		if c, err := net.DialTimeout("tcp", old, time.Second); err == nil {
			c.Close()
			return "", fail("old listen still accepts")
		}
		if _, err := echoes(p, 10); err != nil {
			return "", err
		}
		return "moved to the new listen, old one closed", nil
	})

	run("toxics kept across disable and enable", func() (string, error) {
		p, err := client.CreateProxy(n("keep"), "127.0.0.1:0", upstream)
		if err != nil {
			return "", err
		}
		defer p.Delete()
		if err := p.Disable(); err != nil {
			return "", err
		}
		if _, err := p.AddToxic("", "latency", "", 1, toxiproxy.Attributes{"latency": 150}); err != nil {
			return "", fail("add toxic to a disabled proxy: %v", err)
		}
		if err := p.Enable(); err != nil {
			return "", err
		}
		if len(p.ActiveToxics) != 1 {
			return "", fail("%d toxics after enable", len(p.ActiveToxics))
		}
		took, err := echoes(p, 10)
		if err != nil {
			return "", err
		}
		if took < 140*time.Millisecond {
			return "", fail("round trip %v", took)
		}
		return "toxic added while disabled acts once enabled", nil
	})

	run("populate replaces a changed proxy", func() (string, error) {
		p, err := client.CreateProxy(n("rep"), "127.0.0.1:0", "127.0.0.1:1")
		if err != nil {
			return "", err
		}
		defer func() {
			if q, err := client.Proxy(n("rep")); err == nil {
				_ = q.Delete()
			}
		}()
		if _, err := p.AddToxic("", "latency", "", 1, toxiproxy.Attributes{"latency": 150}); err != nil {
			return "", err
		}
		same, err := client.Populate([]toxiproxy.Proxy{{Name: n("rep"), Listen: p.Listen, Upstream: "127.0.0.1:1", Enabled: true}})
		if err != nil {
			return "", err
		}
		kept := len(same) == 1 && len(same[0].ActiveToxics) == 1
		out, err := client.Populate([]toxiproxy.Proxy{{Name: n("rep"), Listen: "127.0.0.1:0", Upstream: upstream, Enabled: true}})
		if err != nil {
			return "", err
		}
		if len(out) != 1 || out[0].Upstream != upstream {
			return "", fail("populate answered %+v", out)
		}
		got, err := client.Proxy(n("rep"))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("unchanged keeps its toxics: %v; changed: upstream new, %d toxics", kept, len(got.ActiveToxics)), nil
	})

	run("reset", func() (string, error) {
		all, err := client.Proxies()
		if err != nil {
			return "", err
		}
		for name := range all {
			if !strings.HasPrefix(name, prefix+"_") && !*reset {
				return "", errSkip{fmt.Sprintf("skipped: the server holds proxy %q that is not ours (pass -reset to run anyway)", name)}
			}
		}
		if _, err := main.AddToxic("r1", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 500}); err != nil {
			return "", err
		}
		if err := main.Disable(); err != nil {
			return "", err
		}
		if err := client.ResetState(); err != nil {
			return "", err
		}
		p, err := client.Proxy(main.Name)
		if err != nil {
			return "", err
		}
		if !p.Enabled || len(p.ActiveToxics) != 0 || p.Listen != main.Listen {
			return "", fail("after reset: enabled %v, %d toxics, listen moved %v", p.Enabled, len(p.ActiveToxics), p.Listen != main.Listen)
		}
		if _, err := echoes(p, 10); err != nil {
			return "", err
		}
		return "enabled again, no toxics, same listen", nil
	})

	run("proxy delete", func() (string, error) {
		if err := main.Delete(); err != nil {
			return "", err
		}
		if _, err := client.Proxy(main.Name); err == nil {
			return "", fail("still there after delete")
		}
		if c, err := net.DialTimeout("tcp", main.Listen, time.Second); err == nil {
			c.Close()
			return "", fail("deleted proxy still accepts connections")
		}
		return "gone; listener closed", nil
	})
}

// startEcho serves an echo upstream on an ephemeral port, for a run given none
func startEcho() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo upstream:", err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return l.Addr().String()
}
