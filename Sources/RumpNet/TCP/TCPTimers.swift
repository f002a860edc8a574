// tcp_timer: a connection's timers (retransmission, persist, keepalive / connection
// establishment, 2MSL / FIN_WAIT_2 idle, delayed ACK) are deadlines on its control block; the
// stack's timer heap holds one entry per connection at the earliest of them, so a busy
// connection that restarts its retransmission timer on every ACK moves one heap entry.

extension NetStack {
    func tcpSetTimer(_ tp: TCPControlBlock, rexmt: UInt64? = nil, keep: UInt64? = nil, closeWait: UInt64? = nil) {
        if let t = rexmt { tp.rexmtAt = t }
        if let t = keep { tp.keepAt = t }
        if let t = closeWait { tp.closeWaitAt = t }
        tcpArmTimer(tp.socket, tp)
    }

    /// Puts the connection's heap entry at its earliest deadline (or removes it).
    func tcpArmTimer(_ s: Socket, _ tp: TCPControlBlock) {
        let d = tp.earliestDeadline
        if d == 0 {
            if !tp.timer.isNone { timers.cancel(tp.timer); tp.timer = .none }
            return
        }
        if !tp.timer.isNone {
            if tp.timerDeadline == d { return }
            if timers.reschedule(tp.timer, at: d) { tp.timerDeadline = d; return }
        }
        tp.timer = timers.schedule(.tcp(TCPTimerRef(socket: s)), at: d)
        tp.timerDeadline = d
    }

    /// The heap entry fired: run every timer that is due.
    func tcpTimersFire(_ s: Socket) {
        guard let tp = s.tcb else { return }
        tp.timer = .none
        let t = now
        if tp.delackAt != 0 && tp.delackAt <= t {
            tp.delackAt = 0
            tcpStats.delack &+= 1
            tp.ackNow = true
            tcpOutput(s, tp)
        }
        if tp.rexmtAt != 0 && tp.rexmtAt <= t {
            tp.rexmtAt = 0
            tcpRetransmitTimeout(s, tp)
            if tp.state == .closed { return }
        }
        if tp.lossProbeAt != 0 && tp.lossProbeAt <= t {
            tp.lossProbeAt = 0
            tcpLossProbeTimeout(s, tp)
            if tp.state == .closed { return }
        }
        if tp.persistAt != 0 && tp.persistAt <= t {
            tp.persistAt = 0
            tcpPersistTimeout(s, tp)
            if tp.state == .closed { return }
        }
        if tp.keepAt != 0 && tp.keepAt <= t {
            tp.keepAt = 0
            tcpKeepTimeout(s, tp)
            if tp.state == .closed { return }
        }
        if tp.closeWaitAt != 0 && tp.closeWaitAt <= t {
            tp.closeWaitAt = 0
            // TIME_WAIT's 2MSL is over, or FIN_WAIT_2 idled past tcp_maxidle with no owner.
            if tp.state == .finWait2 && s.fd >= 0 {
                // still owned: wait on (only closed sockets time out in FIN_WAIT_2)
            } else {
                tcpClose(s, tp)
                return
            }
        }
        tcpArmTimer(s, tp)
    }

    /// TCPT_REXMT: back off, drop after TCP_MAXRXTSHIFT (12), else go back to snd_una with
    /// the loss window (RFC 5681 3.1, RFC 6298 5.5-5.7) and forget the SACK scoreboard
    /// (RFC 6675 5.1).
    func tcpRetransmitTimeout(_ s: Socket, _ tp: TCPControlBlock) {
        tcpStats.rexmttimeo &+= 1
        tp.rxtShift += 1
        if tp.rxtShift > 12 {
            tcpStats.timeoutdrop &+= 1
            tcpDrop(s, tp, error: tp.softError ?? s.error ?? .ETIMEDOUT)
            return
        }
        if tp.state == .synReceived && tp.listener != nil {
            tcpStats.scRetransmitted &+= 1
        }
        if tp.state.haveEstablished {
            // RFC 5681 3.1: a backed-off repeat of the timer holds ssthresh (and CUBIC's W_max,
            // RFC 9438 4.8); only the first timeout of a segment reduces.
            tp.cc.onRetransmitTimeout(flightSize: tp.flightSize, now: now, firstTimeout: tp.rxtShift == 1)
        }
        tp.inRecovery = false
        tp.dupAcks = 0
        tp.lossProbeAt = 0
        tp.probeSent = false
        tp.scoreboard.reset()
        tp.recover = tp.sndMax
        tp.highRxt = tp.sndUna
        tp.rttSeq = nil
        if tp.rxtShift > 3 {
            // Many timeouts: the RTT estimate is stale (BSD's in_losing); keep the backoff.
            if let srtt = tp.srtt { tp.rttvar += srtt / 4; tp.srtt = nil }
        }
        tp.sndNxt = tp.state == .synSent || tp.state == .synReceived ? tp.iss : tp.sndUna
        tp.rexmtAt = now + tcpCurrentRTO(tp)
        tcpArmTimer(s, tp)
        tcpOutput(s, tp)
    }

    /// The loss probe's deadline. With SACK only (a probe is useful when the peer's SACK can
    /// say what arrived): outside recovery RFC 8985 7.2's PTO (2 SRTT, + the peer's 200 ms
    /// delayed ACK when one segment is in flight), once per flight; in recovery an RTT and a
    /// quarter after snd_una was sent again.
    func tcpArmLossProbe(_ s: Socket, _ tp: TCPControlBlock) {
        var at: UInt64 = 0
        if tp.doSACK, let srtt = tp.srtt, tp.flightSize > 0, tp.state.haveEstablished {
            if tp.inRecovery {
                if tp.unaRetransmittedAt != 0 { at = tp.unaRetransmittedAt + srtt + srtt / 4 + 1_000_000 }
            } else if !tp.probeSent {
                var pto = max(2 * srtt, 2_000_000)
                if tp.flightSize <= tp.maxSeg { pto += UInt64(sysctl.tcpDelackTicks) * 10_000_000 }
                at = now + pto
            }
            if tp.rexmtAt != 0 && at >= tp.rexmtAt { at = 0 }  // the retransmission timer comes first
            // A deadline already past (the retransmission it times was judged already): none,
            // until snd_una goes out again; never a timer that fires at once, again and again.
            if at != 0 && at <= now { at = 0 }
        }
        if at != tp.lossProbeAt {
            tp.lossProbeAt = at
            tcpArmTimer(s, tp)
        }
    }

    /// The loss probe fired: in recovery snd_una goes again if its retransmission looks lost;
    /// outside, a tail loss probe (new data if the windows allow, else the last segment again)
    /// draws a SACK that starts recovery without waiting for the RTO.
    func tcpLossProbeTimeout(_ s: Socket, _ tp: TCPControlBlock) {
        guard tp.flightSize > 0, tp.state.haveEstablished else { return }
        if tp.inRecovery {
            if tcpFirstRetransmissionLost(tp) {
                tcpStats.sackRexmitSegs &+= 1
                tcpRetransmitFirst(s, tp)
            }
            tcpArmLossProbe(s, tp)
            return
        }
        tp.probeSent = true
        let buffered = tp.sendBuffer?.count ?? 0
        let off = tp.sndNxt - tp.sndUna
        let unsent = min(buffered, tp.sndWnd) - off
        if unsent > 0 && tp.sndNxt == tp.sndMax {
            let len = min(tp.maxSeg, unsent)
            tcpTransmit(s, tp, seq: tp.sndNxt, length: len, flags: [.ack], retransmission: false)
        } else {
            let dataEnd = tp.sndMax - (tp.finSent ? 1 : 0)
            let len = min(tp.maxSeg, max(0, dataEnd - tp.sndUna))
            var flags: TCPView.Flags = [.ack]
            if tp.finSent { flags.insert(.fin) }
            guard len > 0 || tp.finSent else { return }
            tcpTransmit(s, tp, seq: dataEnd - len, length: len, flags: flags, retransmission: true)
        }
    }

    /// TCPT_PERSIST: a window probe (one byte past the closed window), then back off.
    func tcpPersistTimeout(_ s: Socket, _ tp: TCPControlBlock) {
        tcpStats.persisttimeo &+= 1
        // A closed window, or data held back by a small one (the SWS override): either way a
        // forced segment goes (one byte past a closed window, else what the window admits).
        guard (tp.sendBuffer?.count ?? 0) > tp.sndNxt - tp.sndUna || tp.sndNxt == tp.sndUna else { return }
        if now &- tp.lastReceived > tcpMaxIdle && tp.persistShift >= 12 {
            tcpStats.persistdrops &+= 1
            tcpDrop(s, tp, error: .ETIMEDOUT)
            return
        }
        // The next probe's timer first, as BSD's tcp_timer_persist does: with it armed the
        // probe does not also start the retransmission timer.
        tp.persistShift += 1
        tcpSetPersist(s, tp)
        tp.sndNxt = tp.sndUna
        tp.forceOne = true
        tcpOutput(s, tp)
        tp.forceOne = false
    }

    /// TCPT_KEEP: connection establishment gave up (net.inet.tcp.keepinit), or a keepalive
    /// probe is due (SO_KEEPALIVE after keepidle, every keepintvl, keepcnt times).
    func tcpKeepTimeout(_ s: Socket, _ tp: TCPControlBlock) {
        tcpStats.keeptimeo &+= 1
        if !tp.state.haveEstablished {
            if tp.listener != nil { tcpStats.scTimedOut &+= 1 }
            tcpDrop(s, tp, error: .ETIMEDOUT)
            return
        }
        guard s.keepAlive, tp.state == .established || tp.state == .closeWait else { return }
        let idle = now &- tp.lastReceived
        let keepIdle = UInt64(sysctl.tcpKeepIdle) * 500_000_000
        let interval = UInt64(sysctl.tcpKeepInterval) * 500_000_000
        if idle < keepIdle && tp.keepProbes == 0 {
            tp.keepAt = tp.lastReceived + keepIdle
            return
        }
        if tp.keepProbes >= sysctl.tcpKeepCount {
            tcpStats.keepdrops &+= 1
            tcpDrop(s, tp, error: .ETIMEDOUT)
            return
        }
        // The probe: snd_una - 1 with no data, which the peer must ACK (RFC 9293 3.8.4).
        tcpStats.keepprobe &+= 1
        tp.keepProbes += 1
        tcpRespond(s, tp, seq: tp.sndUna - 1, ack: tp.rcvNxt, flags: [.ack])
        tp.keepAt = now + interval
    }
}
