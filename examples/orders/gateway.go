package orders

import (
	"bufio"
	"net"
	"net/http"
	"time"
)

// Fault: no IdleConnTimeout, so idle keep-alive connections to every payment host
// pile up until the process runs out of file descriptors.
var paymentTransport = &http.Transport{
	MaxIdleConnsPerHost: 16,
}

// Fault: no Timeout, so one payment host that accepts the connection and never answers
// hangs the checkout request (and its goroutine) forever.
var paymentClient = &http.Client{Transport: paymentTransport}

// Charge asks the payment service to charge an order.
func Charge(url string) error {
	resp, err := paymentClient.Post(url, "application/json", nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// ServeAdmin serves the admin pages.
//
// Fault: no ReadHeaderTimeout / ReadTimeout: a client that opens connections and sends
// headers one byte a minute (Slowloris) exhausts the server.
func ServeAdmin(addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h}
	return srv.ListenAndServe()
}

// ListenWarehouse accepts the warehouse's stock updates, one line each.
func ListenWarehouse(ln net.Listener, update func(string)) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go stockUpdates(c, update)
	}
}

// Fault: a warehouse that goes quiet without closing the connection leaves this
// goroutine blocked in ReadString forever.
func stockUpdates(c net.Conn, update func(string)) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		update(line)
	}
}

// Fault: the deadline is set once, so after a minute every read fails and the
// long-lived courier connection is dropped, however active it is.
func courierEvents(c net.Conn, event func(string)) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		event(sc.Text())
	}
}
