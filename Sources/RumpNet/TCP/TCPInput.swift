// tcp_input: validate, find the connection (four-tuple table, then listeners), and run RFC 9293
// 3.10.7's segment arrival steps: SYN_SENT, then for synchronized states PAWS (RFC 7323), the
// acceptability test and trimming, RST and SYN with RFC 5961's rules, ACK processing (RTT,
// congestion control, NewReno and SACK loss recovery), window update, data into the receive
// ring (out-of-order data placed at its offset), FIN. Listeners are in TCPListen.swift.

extension NetStack {
    func tcpInput(_ ip: IPv4View, ifp: NetInterface, broadcast: Bool) {
        tcpStats.rcvtotal &+= 1
        let bytes = ip.payload
        guard bytes.count >= TCPView.minHeaderLength else { tcpStats.rcvshort &+= 1; return }
        guard let view = TCPView(bytes) else { tcpStats.rcvbadoff &+= 1; return }
        let src = ip.source, dst = ip.destination
        // Never a connection with a broadcast or multicast end (RFC 1122 4.2.3.10).
        if broadcast || dst.isMulticast || dst.isBroadcast || src.isMulticast || src.isBroadcast || src.isAny {
            return
        }
        if ifp.linkType != .loopback || sysctl.tcpLoopbackChecksum, !view.isChecksumValid(src: src, dst: dst) {
            tcpStats.rcvbadsum &+= 1
            return
        }
        tcpInputSegment(view, local: SocketEndpoint(dst, view.destinationPort), foreign: SocketEndpoint(src, view.sourcePort),
                        family: PCBTable.v4)
    }

    /// tcp6_input: the same after IPv6's checks (ip6 delivered it to one of our addresses, so no
    /// multicast destination; `esrc`/`edst` carry their zones). The checksum is always checked.
    func tcp6Input(_ d: UnsafeRawBufferPointer, offset: Int, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address) {
        tcpStats.rcvtotal &+= 1
        let bytes = UnsafeRawBufferPointer(rebasing: d[offset...])
        guard bytes.count >= TCPView.minHeaderLength else { tcpStats.rcvshort &+= 1; return }
        guard let view = TCPView(bytes) else { tcpStats.rcvbadoff &+= 1; return }
        if edst.isMulticast || esrc.isMulticast || esrc.isUnspecified || esrc.isV4Mapped { return }
        let ph = InternetChecksum.pseudoHeader6(src: esrc.withoutEmbeddedScope, dst: edst.withoutEmbeddedScope,
                                                nextHeader: IPv6NextHeader.tcp, length: bytes.count)
        if ifp.linkType != .loopback || sysctl.tcpLoopbackChecksum, InternetChecksum.sum(bytes, initial: ph) != 0xFFFF {
            tcpStats.rcvbadsum &+= 1
            return
        }
        tcpInputSegment(view, local: SocketEndpoint(embedded: edst, view.destinationPort),
                        foreign: SocketEndpoint(embedded: esrc, view.sourcePort), family: PCBTable.v6)
    }

    /// Both families after their checks: the connection, else a listener, else a reset.
    func tcpInputSegment(_ view: TCPView, local: SocketEndpoint, foreign: SocketEndpoint, family: UInt8) {
        let seg: TCPRepr
        do { seg = try TCPRepr(parsing: view) } catch { tcpStats.rcvbadoff &+= 1; return }
        let payload = view.payload
        guard seg.sourcePort != 0, seg.destinationPort != 0 else { return }
        if let s = tcpConnections[TCPFourTuple(local: local, foreign: foreign)], let tp = s.tcb {
            if tp.state == .timeWait, seg.flags.contains(.syn), !seg.flags.contains(.ack), tcpTimeWaitAcceptsSYN(tp, seg) {
                // RFC 6191 / RFC 1122 4.2.2.13: a new incarnation may reuse the four-tuple.
                tcpClose(s, tp)
            } else {
                tcpSegmentArrives(s, tp, seg, payload)
                return
            }
        }
        tcpStats.pcbhashmiss &+= 1
        if let l = tcpListener(for: local, family: family) {
            tcpListenInput(l, seg, payload: payload, local: local, foreign: foreign)
            return
        }
        tcpStats.noport &+= 1
        tcpRespondToStray(seg, payloadLength: payload.count, local: local, foreign: foreign)
    }

    /// RFC 6191: with timestamps, a SYN whose TSval is newer than TS.Recent; without, one whose
    /// sequence number is beyond what the old incarnation received.
    func tcpTimeWaitAcceptsSYN(_ tp: TCPControlBlock, _ seg: TCPRepr) -> Bool {
        if tp.doTimestamps, let ts = seg.timestamp { return Int32(bitPattern: ts.value &- tp.tsRecent) > 0 }
        return tp.rcvNxt < seg.sequence
    }

    /// The segment for a connection (tcp_input after the lookup).
    func tcpSegmentArrives(_ s: Socket, _ tp: TCPControlBlock, _ seg: TCPRepr, _ payload: UnsafeRawBufferPointer) {
        tp.lastReceived = now
        tp.keepProbes = 0
        if tp.state == .synSent { tcpSynSentInput(s, tp, seg, payload); return }
        var flags = seg.flags
        let wasEstablished = tp.state

        // PAWS (RFC 7323 5.3).
        if tp.doTimestamps, let ts = seg.timestamp, !flags.contains(.rst), tp.tsRecentAge != 0,
           Int32(bitPattern: ts.value &- tp.tsRecent) < 0 {
            if now &- tp.tsRecentAge > 24 * 86_400 * 1_000_000_000 {
                tp.tsRecent = 0  // idle over 24 days: TS.Recent is invalid (RFC 7323 5.5)
            } else {
                tcpStats.pawsdrop &+= 1
                tcpStats.rcvduppack &+= 1
                tcpStats.rcvdupbyte &+= UInt64(payload.count)
                tp.ackNow = true
                tcpOutput(s, tp)
                return
            }
        }

        // SYN_RCVD and the peer's SYN again (our SYN-ACK was lost): answer with the SYN-ACK again,
        // as NetBSD's syn_cache_add does for a duplicate. Checked before trimming, which would
        // strip the old SYN and leave a bare ACK.
        if tp.state == .synReceived && flags.contains(.syn) && !flags.contains(.ack) && seg.sequence == tp.irs {
            tp.sndNxt = tp.iss
            tcpOutput(s, tp)
            return
        }

        // Acceptability (RFC 9293 3.10.7.4 first) and trimming to the window.
        let rcvWnd = tcpReceiveWindow(s, tp)
        var seq = seg.sequence
        var dataStart = 0
        var dataLen = payload.count
        if flags.contains(.syn) && tp.state != .synReceived {
            // A SYN in a synchronized state: RFC 5961 4.2's challenge ACK, nothing else.
            tcpChallengeAck(s, tp)
            return
        }
        var todrop = tp.rcvNxt - seq
        if todrop > 0 {
            if flags.contains(.syn) {
                flags.remove(.syn)
                seq += 1
                todrop -= 1
            }
            if todrop > dataLen || (todrop == dataLen && !flags.contains(.fin)) {
                // Everything is old: a duplicate (maybe a keepalive probe). ACK it, but still
                // take its ACK and window (RFC 9293: process the ACK field).
                if dataLen > 0 || flags.contains(.fin) {
                    tcpStats.rcvduppack &+= 1
                    tcpStats.rcvdupbyte &+= UInt64(dataLen)
                }
                if flags.contains(.rst) { tcpRSTInput(s, tp, seg, inWindow: false); return }
                tp.ackNow = true
                flags.remove(.fin)
                todrop = dataLen
            } else {
                tcpStats.rcvpartduppack &+= 1
                tcpStats.rcvpartdupbyte &+= UInt64(todrop)
            }
            dataStart += todrop
            dataLen -= todrop
            seq += todrop
        }
        // Data beyond the window is cut off (a zero window takes only a probe's ACK).
        let excess = (seq + dataLen + (flags.contains(.fin) ? 1 : 0)) - (tp.rcvNxt + rcvWnd)
        if excess > 0 {
            tcpStats.rcvpackafterwin &+= 1
            if excess >= dataLen + (flags.contains(.fin) ? 1 : 0) {
                if flags.contains(.rst) { tcpRSTInput(s, tp, seg, inWindow: false); return }
                tp.ackNow = true
                if rcvWnd == 0 && seq == tp.rcvNxt {
                    // A window probe: its ACK and window count, its data does not.
                    tcpStats.rcvwinprobe &+= 1
                    dataLen = 0
                    flags.remove(.fin)
                } else {
                    tcpStats.rcvbyteafterwin &+= UInt64(dataLen)
                    tcpOutput(s, tp)
                    return
                }
            } else {
                tcpStats.rcvbyteafterwin &+= UInt64(excess)
                dataLen -= excess
                flags.remove([.fin, .psh])
            }
        }

        // RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent (not rcv_nxt: with
        // ACKs delayed the echo must be the earliest unacknowledged segment's TSval).
        if tp.doTimestamps, let ts = seg.timestamp, seg.sequence <= tp.lastAckSent,
           tp.tsRecentAge == 0 || Int32(bitPattern: ts.value &- tp.tsRecent) >= 0 {
            tp.tsRecent = ts.value
            tp.tsRecentAge = now
        }

        if flags.contains(.rst) { tcpRSTInput(s, tp, seg, inWindow: true); return }
        if flags.contains(.syn) {
            tcpChallengeAck(s, tp)
            return
        }
        guard flags.contains(.ack) else {
            if tp.ackNow { tcpOutput(s, tp) }
            return
        }

        // ACK processing.
        let ack = seg.acknowledgment
        if tp.state == .synReceived {
            guard tp.sndUna < ack, ack <= tp.sndMax else {
                tcpRespond(s, tp, seq: ack, ack: TCPSeq(0), flags: [.rst], bareReset: true)
                return
            }
            tcpEstablished(s, tp)
            tp.sndWnd = Int(seg.window) << Int(tp.sndScale)
            tp.maxSndWnd = max(tp.maxSndWnd, tp.sndWnd)
            tp.sndWL1 = seg.sequence
            tp.sndWL2 = ack
        }
        if ack > tp.sndMax {
            tcpStats.rcvacktoomuch &+= 1
            tp.ackNow = true
            tcpOutput(s, tp)
            return
        }
        if ack < tp.sndUna - max(tp.maxSndWnd, 1) {
            tcpChallengeAck(s, tp)  // RFC 5961 5.2: too old to be in flight
            return
        }
        let scaledWindow = Int(seg.window) << Int(tp.sndScale)
        var newlySACKed = 0
        if tp.doSACK && !seg.sackBlocks.isEmpty {
            tcpStats.sackRcvBlocks &+= UInt64(seg.sackBlocks.count)
            newlySACKed = tp.scoreboard.update(una: max(ack, tp.sndUna), sndMax: tp.sndMax, blocks: seg.sackBlocks)
        } else if tp.doSACK && ack > tp.sndUna && !tp.scoreboard.isEmpty {
            _ = tp.scoreboard.update(una: ack, sndMax: tp.sndMax, blocks: SACKBlocks())
        }
        var ourFINAcked = false
        if ack <= tp.sndUna {
            // Not the ACK of a window probe (a zero window): RFC 5681 2's duplicate ACK needs
            // outstanding data the window admits, as BSD's "other than a window probe".
            // With SACK, RFC 6675 2's DupAck instead: new SACK information for outstanding data,
            // whatever the window says (a reading application moves it on every ACK).
            let strictDuplicate = dataLen == 0 && scaledWindow == tp.sndWnd && tp.sndWnd > 0 && !flags.contains(.fin)
            if (strictDuplicate || newlySACKed > 0) && tp.flightSize > 0 && ack == tp.sndUna && tp.state.haveEstablished {
                tcpDuplicateAck(s, tp, seg)
            } else if ack == tp.sndUna {
                tp.dupAcks = 0
            }
        } else {
            ourFINAcked = tcpNewAck(s, tp, ack: ack, seg: seg)
            if tp.state == .closed { return }
        }

        // Window update (RFC 9293 3.10.7.4, SND.WL1/WL2).
        if tp.sndWL1 < seg.sequence || (tp.sndWL1 == seg.sequence && (tp.sndWL2 < ack || (tp.sndWL2 == ack && scaledWindow > tp.sndWnd))) {
            if dataLen == 0 && tp.sndWL2 == ack && scaledWindow > tp.sndWnd { tcpStats.rcvwinupd &+= 1 }
            tp.sndWnd = scaledWindow
            tp.sndWL1 = seg.sequence
            tp.sndWL2 = ack
            tp.maxSndWnd = max(tp.maxSndWnd, tp.sndWnd)
            if tp.sndWnd > 0 && tp.persistAt != 0 {
                tp.persistAt = 0
                tp.persistShift = 0
                tcpArmTimer(s, tp)
            }
        }

        // Our FIN acknowledged: the closing states move on.
        if ourFINAcked {
            switch tp.state {
            case .finWait1:
                tp.state = .finWait2
                if s.fd < 0 { tcpSetTimer(tp, closeWait: now + tcpMaxIdle) }
                socketChanged(s)
            case .closing:
                tcpEnterTimeWait(s, tp)
            case .lastAck:
                tcpClose(s, tp)
                return
            default:
                break
            }
        }
        if tp.state == .timeWait && seg.flags.contains(.fin) {
            // The peer's FIN again: our ACK was lost. ACK it and restart 2MSL (RFC 9293
            // 3.10.7.4 TIME-WAIT). The segment's own flags: trimming stripped the old FIN.
            tp.ackNow = true
            tcpEnterTimeWait(s, tp)
            tcpOutput(s, tp)
            return
        }

        // Data and FIN.
        let mayReceive = tp.state == .established || tp.state == .finWait1 || tp.state == .finWait2
        if dataLen > 0 || flags.contains(.fin) {
            if mayReceive && dataLen > 0 && s.fd < 0 && s.cantReceiveMore && wasEstablished != .synReceived {
                // Data for a socket closed by its owner: no one will read it (tcp_input's
                // "rcvafterclose"): reset.
                tcpStats.rcvafterclose &+= 1
                tcpDrop(s, tp, error: .ECONNRESET)
                return
            }
            if mayReceive {
                tcpReceiveData(s, tp, seq: seq, UnsafeRawBufferPointer(rebasing: payload[dataStart..<(dataStart + dataLen)]),
                               fin: flags.contains(.fin), push: flags.contains(.psh))
            } else if dataLen > 0 {
                tcpStats.rcvafterclose &+= 1
            }
        }
        if tp.state == .closed { return }
        tcpOutput(s, tp)
    }

    /// SYN_SENT (RFC 9293 3.10.7.3).
    func tcpSynSentInput(_ s: Socket, _ tp: TCPControlBlock, _ seg: TCPRepr, _ payload: UnsafeRawBufferPointer) {
        let f = seg.flags
        if f.contains(.ack) && (seg.acknowledgment <= tp.iss || seg.acknowledgment > tp.sndMax) {
            if !f.contains(.rst) { tcpRespond(s, tp, seq: seg.acknowledgment, ack: TCPSeq(0), flags: [.rst], bareReset: true) }
            return
        }
        if f.contains(.rst) {
            if f.contains(.ack) { tcpDrop(s, tp, error: .ECONNREFUSED, sendReset: false) }
            return
        }
        guard f.contains(.syn) else { return }
        tp.irs = seg.sequence
        tp.rcvNxt = seg.sequence + 1
        tp.rcvAdv = tp.rcvNxt
        tcpApplySYNOptions(tp, seg, passive: false)
        if f.contains(.ack) {
            tp.sndUna = seg.acknowledgment
            if tp.sndNxt < tp.sndUna { tp.sndNxt = tp.sndUna }
            tp.sndWnd = Int(seg.window) << Int(tp.sndScale)
            tp.maxSndWnd = tp.sndWnd
            tp.sndWL1 = seg.sequence
            tp.sndWL2 = seg.acknowledgment
            if let ts = seg.timestamp, tp.doTimestamps { tp.tsRecent = ts.value; tp.tsRecentAge = now }
            tcpRTTSample(tp, ack: seg.acknowledgment)
            tp.rxtShift = 0
            tp.rexmtAt = 0
            tcpEstablished(s, tp)
            tp.ackNow = true
            if payload.count > 0 || f.contains(.fin) {
                tcpReceiveData(s, tp, seq: seg.sequence + 1, payload, fin: f.contains(.fin), push: f.contains(.psh))
            }
            tcpOutput(s, tp)
        } else {
            // Simultaneous open: our SYN crossed theirs; answer with SYN-ACK.
            tp.state = .synReceived
            tp.sndNxt = tp.iss
            if let ts = seg.timestamp, tp.doTimestamps { tp.tsRecent = ts.value; tp.tsRecentAge = now }
            tcpOutput(s, tp)
        }
    }

    /// RST (RFC 9293 3.10.7.4 second, with RFC 5961 3.2): exactly at rcv_nxt it resets the
    /// connection; elsewhere in the window it only draws a challenge ACK.
    func tcpRSTInput(_ s: Socket, _ tp: TCPControlBlock, _ seg: TCPRepr, inWindow: Bool) {
        guard inWindow else { return }
        guard seg.sequence == tp.rcvNxt else { tcpChallengeAck(s, tp); return }
        switch tp.state {
        case .synReceived:
            if tp.listener != nil { tcpStats.scReset &+= 1; tcpClose(s, tp); return }
            s.error = .ECONNREFUSED
            tcpClose(s, tp)
        case .established, .finWait1, .finWait2, .closeWait:
            s.error = .ECONNRESET
            tcpStats.drops &+= 1
            tcpClose(s, tp)
        default:
            tcpClose(s, tp)
        }
    }

    /// RFC 5961's challenge ACK (rate-limited with the RSTs, net.inet.tcp.rstppslimit).
    func tcpChallengeAck(_ s: Socket, _ tp: TCPControlBlock) {
        tcpStats.challengeAcks &+= 1
        guard tcpRSTAllowed() else { return }
        tp.ackNow = true
        tcpOutput(s, tp)
    }

    /// The connection is set up (SYN_RCVD or SYN_SENT → ESTABLISHED, soisconnected).
    func tcpEstablished(_ s: Socket, _ tp: TCPControlBlock) {
        tp.state = .established
        tcpAllocateBuffers(s, tp)
        tp.cc.smss = tp.maxSeg
        tp.cc.cwnd = tcpInitialWindow(tp.maxSeg)
        tp.autoRcvStart = now
        tp.keepAt = 0
        if s.keepAlive { tp.keepAt = now + UInt64(sysctl.tcpKeepIdle) * 500_000_000 }
        tcpArmTimer(s, tp)
        if let l = tp.listener {
            l.embryonic -= 1
            l.acceptQueue.append(s)
            tcpStats.accepts &+= 1
            tcpStats.scCompleted &+= 1
            socketChanged(l)
        } else {
            tcpStats.connects &+= 1
            socketChanged(s)
        }
    }

    /// A duplicate ACK (RFC 5681 3.2, RFC 6582, RFC 6675 5): limited transmit for the first two,
    /// fast retransmit at the third (or when SACK says the first segment is lost), inflation
    /// during NewReno recovery.
    func tcpDuplicateAck(_ s: Socket, _ tp: TCPControlBlock, _ seg: TCPRepr) {
        tcpStats.rcvdupack &+= 1
        tp.dupAcks += 1
        let dupThresh = 3
        if tp.inRecovery {
            if !tp.doSACK { tp.cc.onDuplicateAckInRecovery() }
            else if tcpFirstRetransmissionLost(tp) {
                // The retransmission of snd_una was lost too: SACKs for later data keep coming
                // an RTT after it went out (RACK's idea, RFC 8985 6.2, for the first hole only),
                // so send it again now instead of waiting for the timer.
                tcpStats.sackRexmitSegs &+= 1
                tcpRetransmitFirst(s, tp)
            }
            tcpOutput(s, tp)
            return
        }
        // After a tail loss probe, SACKed data above snd_una means snd_una is lost: it is
        // more than two RTTs old (RACK's time-based rule, RFC 8985 6.2).
        let sackSaysLost = tp.doSACK && (tp.scoreboard.isLost(tp.sndUna, smss: tp.maxSeg, dupThresh: dupThresh)
                                         || (tp.probeSent && !tp.scoreboard.isEmpty && !tp.scoreboard.isSacked(tp.sndUna)))
        if tp.dupAcks >= dupThresh || sackSaysLost {
            // RFC 6582 3.2 step 1: only a loss of data sent after the last recovery began.
            guard tp.doSACK || tp.sndUna - 1 >= tp.recover || tp.recover == tp.iss else {
                tcpOutput(s, tp)
                return
            }
            tcpEnterRecovery(s, tp)
            return
        }
        // RFC 3042 limited transmit: new data for the first two duplicate ACKs.
        tcpOutput(s, tp)
    }

    func tcpEnterRecovery(_ s: Socket, _ tp: TCPControlBlock) {
        tp.inRecovery = true
        tp.recover = tp.sndMax
        // cwnd = ssthresh with SACK (the pipe governs), + 3 SMSS of inflation without.
        tp.cc.onEnterRecovery(flightSize: tp.flightSize, now: now, sackRecovery: tp.doSACK)
        tp.rttSeq = nil  // Karn: retransmitted data is never timed
        if tp.doSACK {
            tcpStats.sackRecoveryEpisode &+= 1
            tp.highRxt = tp.sndUna
        }
        tcpRetransmitFirst(s, tp)
        tcpOutput(s, tp)
    }

    /// Sends the first unacknowledged segment again (fast retransmit, partial ACKs).
    func tcpRetransmitFirst(_ s: Socket, _ tp: TCPControlBlock) {
        let buffered = tp.sendBuffer?.count ?? 0
        let len = min(tp.maxSeg, buffered)
        var flags: TCPView.Flags = [.ack]
        if len == buffered && tp.finSent { flags.insert(.fin) }
        guard len > 0 || flags.contains(.fin) else { return }
        tcpTransmit(s, tp, seq: tp.sndUna, length: len, flags: flags, retransmission: true)
        tp.unaRetransmittedAt = now
        if tp.doSACK { tp.highRxt = max(tp.highRxt, tp.sndUna + len) }
        tcpArmLossProbe(s, tp)
        if tp.rexmtAt == 0 { tcpSetTimer(tp, rexmt: now + tcpCurrentRTO(tp)) }
        tcpArmTimer(s, tp)
    }

    /// In SACK recovery: snd_una's segment was retransmitted more than an RTT and a quarter
    /// ago (at least 1 ms more, and not before the first RTT sample), is still not SACKed, and
    /// the duplicate ACK that asks carries SACK information above it.
    func tcpFirstRetransmissionLost(_ tp: TCPControlBlock) -> Bool {
        guard let srtt = tp.srtt, tp.unaRetransmittedAt != 0, !tp.scoreboard.isEmpty,
              !tp.scoreboard.isSacked(tp.sndUna) else { return false }
        return now &- tp.unaRetransmittedAt > srtt + srtt / 4 + 1_000_000
    }

    /// New data acknowledged. Returns whether our FIN is now acknowledged.
    func tcpNewAck(_ s: Socket, _ tp: TCPControlBlock, ack: TCPSeq, seg: TCPRepr) -> Bool {
        var acked = ack - tp.sndUna
        let flightBefore = tp.flightSize
        tcpStats.rcvackpack &+= 1
        tcpStats.rcvackbyte &+= UInt64(acked)
        tcpRTTSample(tp, ack: ack)
        if tp.sndUna == tp.iss { acked -= 1 }  // our SYN (simultaneous open's SYN_RCVD leftovers)
        var finAcked = false
        let buffered = tp.sendBuffer?.count ?? 0
        if acked > buffered {
            // The ACK covers our FIN too.
            finAcked = tp.finSent
            tp.sendBuffer?.drop(buffered)
        } else {
            tp.sendBuffer?.drop(acked)
        }
        let dataAcked = min(acked, buffered)
        tp.sndUna = ack
        if tp.sndNxt < tp.sndUna { tp.sndNxt = tp.sndUna }
        if tp.inRecovery {
            if ack >= tp.recover {
                tp.inRecovery = false
                tp.dupAcks = 0
                tp.cc.onExitRecovery(flightSize: tp.flightSize, now: now)
                // The scoreboard keeps what it knows above the recovery point (RFC 6675).
            } else if tp.doSACK {
                // The next hole's retransmission (if any) is timed from here.
                tp.unaRetransmittedAt = now
            } else {
                // RFC 6582 partial ACK: retransmit the next hole, deflate.
                tp.cc.onPartialAck(acked: dataAcked)
                tcpRetransmitFirst(s, tp)
            }
        } else {
            tp.dupAcks = 0
            tp.cc.onAck(acked: dataAcked, flightSize: flightBefore, now: now, srtt: tp.srtt)
        }
        if tp.highRxt < tp.sndUna { tp.highRxt = tp.sndUna }
        // RFC 6298 5.2/5.3: all acknowledged stops the timer, else it restarts.
        tp.rxtShift = 0
        if tp.sndUna == tp.sndMax {
            tp.rexmtAt = 0
        } else if tp.persistAt == 0 {
            tp.rexmtAt = now + tcpCurrentRTO(tp)
        }
        tp.probeSent = false
        tcpArmTimer(s, tp)
        tcpArmLossProbe(s, tp)
        if dataAcked > 0 { socketChanged(s) }
        return finAcked
    }

    /// An RTT sample when the ACK covers the timed segment (Karn's rule: a timed segment is
    /// never a retransmitted one), then RFC 6298 2.2/2.3.
    func tcpRTTSample(_ tp: TCPControlBlock, ack: TCPSeq) {
        guard let timed = tp.rttSeq, timed < ack else { return }
        tp.rttSeq = nil
        let r = now &- tp.rttStart
        tcpStats.rttupdated &+= 1
        if let srtt = tp.srtt {
            let delta = srtt > r ? srtt - r : r - srtt
            tp.rttvar = (3 * tp.rttvar + delta) / 4
            tp.srtt = (7 * srtt + r) / 8
        } else {
            tp.srtt = r
            tp.rttvar = r / 2
        }
        let g: UInt64 = 1_000_000  // clock granularity G: 1 ms, as our timers' tick
        tp.rto = min(NetStack.tcpMaxRTO, max(sysctl.tcpMinRTO, tp.srtt! + max(g, 4 * tp.rttvar)))
    }

    static let tcpMaxRTO: UInt64 = 64_000_000_000  // TCPTV_REXMTMAX

    /// The RTO with the backoff of consecutive timeouts.
    func tcpCurrentRTO(_ tp: TCPControlBlock) -> UInt64 {
        min(NetStack.tcpMaxRTO, tp.rto << UInt64(min(tp.rxtShift, 12)))
    }

    /// Data (and FIN) into the receive buffer: in order straight behind what is queued, out of
    /// order at its offset with the assembler's record; ACKs as RFC 5681 4.2 asks (every
    /// second full segment, at once for out-of-order data or a filled hole, else delayed).
    func tcpReceiveData(_ s: Socket, _ tp: TCPControlBlock, seq: TCPSeq, _ data: UnsafeRawBufferPointer, fin: Bool, push: Bool) {
        guard var ring = tp.receiveBuffer else { return }
        let n = data.count
        var delivered = 0
        if n > 0 {
            let offset = seq - tp.rcvNxt
            if offset == 0 {
                let fits = min(n, ring.capacity - ring.count)
                ring.write(UnsafeRawBufferPointer(rebasing: data[0..<fits]), at: ring.count)
                let hadHoles = !tp.assembler.isEmpty
                let extra = tp.assembler.advance(by: fits)
                ring.extend(by: fits + extra)
                tp.rcvNxt += fits + extra
                delivered = fits + extra
                tcpStats.rcvpack &+= 1
                tcpStats.rcvbyte &+= UInt64(fits)
                if hadHoles {
                    tp.ackNow = true
                } else {
                    tcpStats.preddat &+= 1
                    tp.unackedSegments += 1
                    if tp.unackedSegments >= 2 || (push && sysctl.tcpAckOnPush) || sysctl.tcpDelackTicks == 0 {
                        tp.ackNow = true
                    } else if tp.delackAt == 0 {
                        tp.delackAt = now + UInt64(sysctl.tcpDelackTicks) * 10_000_000
                        tcpArmTimer(s, tp)
                    }
                }
            } else if offset > 0 && ring.count + offset + n <= ring.capacity {
                if tp.assembler.insert(offset: offset, length: n) {
                    ring.write(data, at: ring.count + offset)
                    tcpStats.rcvoopack &+= 1
                    tcpStats.rcvoobyte &+= UInt64(n)
                } else {
                    tcpStats.rcvmemdrop &+= 1
                }
                tp.ackNow = true  // a duplicate ACK at once (RFC 5681 4.2), with SACK blocks
            }
        }
        tp.receiveBuffer = ring
        // After shutdown(SHUT_RD) in-order data is acknowledged and dropped, as NetBSD's
        // tcp_input frees it when SS_CANTRCVMORE: reads return end of file, not this data.
        if s.cantReceiveMore && delivered > 0 { tp.receiveBuffer?.removeAll() }
        if fin {
            let finSeq = seq + n
            if finSeq == tp.rcvNxt { tcpReceiveFIN(s, tp) } else if finSeq > tp.rcvNxt { tp.pendingFIN = finSeq }
        } else if let f = tp.pendingFIN, f == tp.rcvNxt {
            tcpReceiveFIN(s, tp)
        }
        if delivered > 0 {
            tcpAutoSizeReceive(tp, delivered)
            socketChanged(s)
        }
    }

    /// Receive-buffer auto-sizing (net.inet.tcp.recvbuf_auto): a window the peer fills within
    /// one RTT grows by recvbuf_inc (doubling at most), up to recvbuf_max.
    func tcpAutoSizeReceive(_ tp: TCPControlBlock, _ n: Int) {
        guard sysctl.tcpRecvBufAuto, var ring = tp.receiveBuffer, ring.limit < ring.capacity else { return }
        tp.autoRcvBytes += n
        let rtt = tp.srtt ?? 1_000_000
        if now &- tp.autoRcvStart >= rtt {
            if tp.autoRcvBytes > ring.limit * 7 / 8 {
                ring.limit = min(ring.capacity, max(ring.limit + sysctl.tcpRecvBufInc, ring.limit * 2))
                tp.receiveBuffer = ring
            }
            tp.autoRcvBytes = 0
            tp.autoRcvStart = now
        }
    }

    /// The peer's FIN in order: end of file for the reader; the state moves on.
    func tcpReceiveFIN(_ s: Socket, _ tp: TCPControlBlock) {
        tp.pendingFIN = nil
        tp.rcvNxt += 1
        tp.ackNow = true
        switch tp.state {
        case .synReceived, .established: tp.state = .closeWait
        case .finWait1: tp.state = .closing
        case .finWait2: tcpEnterTimeWait(s, tp)
        default: break
        }
        socketChanged(s)
    }

    /// TIME_WAIT for 2MSL (MSL by where the peer is, net.inet.tcp.mslt), other timers off.
    func tcpEnterTimeWait(_ s: Socket, _ tp: TCPControlBlock) {
        tp.state = .timeWait
        tp.rexmtAt = 0; tp.persistAt = 0; tp.keepAt = 0; tp.delackAt = 0
        var msl = sysctl.tcpMSL
        if sysctl.tcpMSLTEnable {
            if s.foreign.isIPv4 ? (isLocalAddress(s.foreign.address) || s.foreign.address.isLoopback)
                : (s.foreign.ip.isLoopback || ip6.local[s.foreign.ip] != nil) { msl = sysctl.tcpMSLTLoopback }
            else if s.foreign.isIPv4 ? isOnLink(s.foreign.address) : isOnLink6(s.foreign.ip) { msl = sysctl.tcpMSLTLocal }
        }
        tp.closeWaitAt = now + UInt64(2 * msl) * 1_000_000_000
        if msl == 0 { tp.closeWaitAt = now + 1 }
        // Nothing more to send or receive: the buffers go now (a TIME_WAIT costs its tcpcb only).
        if s.fd < 0 { tp.deallocateBuffers() }
        tcpArmTimer(s, tp)
        socketChanged(s)
    }

    /// The receive window to offer: room in the receive buffer, never moving the right edge
    /// left (RFC 9293 3.8.6.2.2), at most what the scale can say.
    func tcpReceiveWindow(_ s: Socket, _ tp: TCPControlBlock) -> Int {
        let space = tp.receiveBuffer.map { $0.space } ?? s.streamReceiveLimit
        let maxWin = 65535 << Int(tp.rcvScale)
        return max(min(space, maxWin), max(0, tp.rcvAdv - tp.rcvNxt))
    }
}
