import CNGHTTP2

/// One client connection's HTTP/2 state: the nghttp2 server session (framing, HPACK, flow
/// control, SETTINGS, PING, GOAWAY) and its streams.
///
/// Invariants: `session` is owned here and deleted in `close()`/deinit; nghttp2 calls back
/// only from inside `receive`/`send`/`resume` on the owning worker's thread, with
/// `user_data` pointing at this object (unretained: the client connection owns it for as
/// long as the session exists).
final class H2Session {
    private(set) var session: OpaquePointer?
    unowned let worker: Worker
    unowned let client: ClientConnection
    var streams: [Int32: H2Stream] = [:]
    /// Streams the client opened, for the idle timeout and GOAWAY bookkeeping.
    var openedStreams = 0
    /// DATA frames in a row that carried no bytes and did not end their stream: they cost
    /// a frame's work each and move nothing (CVE-2019-9518); nghttp2 does not count them.
    var emptyDataFrames = 0
    static let maxConsecutiveEmptyDataFrames = 32

    /// What we advertise (DESIGN.md and issue 4: bounded concurrency and header size).
    static let maxConcurrentStreams: UInt32 = 128
    static let maxHeaderListSize: UInt32 = 64 * 1024
    static let streamWindow: UInt32 = 65_535
    static let connectionWindow: Int32 = 1 << 20

    init?(worker: Worker, client: ClientConnection) {
        self.worker = worker
        self.client = client
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        // Window updates are sent as request bodies drain upstream, not as they arrive.
        nghttp2_option_set_no_auto_window_update(option, 1)
        // Floods of frames that demand an answer (PING, SETTINGS) and of stream resets
        // (CVE-2023-44487) end the connection instead of queueing without bound.
        nghttp2_option_set_max_outbound_ack(option, 1000)
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_stream_reset_rate_limit(option, 200, 50)
        nghttp2_option_set_max_send_header_block_length(option, 64 * 1024)
        // A header block split over more CONTINUATION frames than this is a flood
        // (CVE-2024-27316 family), not a real request: 8 is nghttp2's own default.
        nghttp2_option_set_max_continuations(option, 8)

        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&session, callbacks, userData, option) == 0, let session else { return nil }
        self.session = session

        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: Self.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: Self.streamWindow),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: Self.maxHeaderListSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.connectionWindow)
    }

    deinit { close() }

    func close() {
        if let session {
            nghttp2_session_del(session)
            self.session = nil
        }
    }

    /// Feeds received bytes; returns false on a protocol error (the connection must end
    /// after flushing what nghttp2 queued). Some fatal errors (too many CONTINUATION
    /// frames, frames that need an answer piling up) make nghttp2 stop without queueing a
    /// GOAWAY, so one is queued here: the client learns why, and which streams were done.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let session else { return false }
        let rc = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        guard rc < 0 else { return true }
        let calm = rc == NGHTTP2_ERR_FLOODED.rawValue || rc == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue
        // Does nothing if nghttp2 (or a callback) already ended the session with a GOAWAY.
        nghttp2_session_terminate_session(session, calm ? NGHTTP2_ENHANCE_YOUR_CALM.rawValue : NGHTTP2_PROTOCOL_ERROR.rawValue)
        return false
    }

    /// Appends frames nghttp2 wants to send to `out`, up to about `limit` bytes.
    func send(into out: inout [UInt8], limit: Int) {
        guard let session else { return }
        while out.count < limit {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            guard n > 0, let data else { return }
            out.append(contentsOf: UnsafeBufferPointer(start: data, count: n))
        }
    }

    var wantsIO: Bool {
        guard let session else { return false }
        return nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    func consume(stream: Int32, bytes: Int) {
        guard let session, bytes > 0 else { return }
        nghttp2_session_consume(session, stream, bytes)
    }

    func resume(_ stream: H2Stream) {
        guard let session, stream.deferred else { return }
        stream.deferred = false
        nghttp2_session_resume_data(session, stream.id)
    }

    func reset(_ stream: H2Stream, code: UInt32 = NGHTTP2_INTERNAL_ERROR.rawValue) {
        guard let session else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, code)
    }

    /// GOAWAY with the last stream we processed: in-flight streams finish, new ones are
    /// refused (graceful shutdown, or the end of an idle connection).
    func goAway() {
        guard let session else { return }
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
                              nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// Sends a response head; `hasBody` attaches the data provider that pulls the body.
    func submitResponse(_ stream: H2Stream, headers: [nghttp2_nv], hasBody: Bool) -> Bool {
        guard let session else { return false }
        var nva = headers
        if hasBody {
            var provider = nghttp2_data_provider()
            provider.read_callback = readBody
            return nghttp2_submit_response(session, stream.id, &nva, nva.count, &provider) == 0
        }
        return nghttp2_submit_response(session, stream.id, &nva, nva.count, nil) == 0
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> H2Session {
        Unmanaged<H2Session>.fromOpaque(userData!).takeUnretainedValue()
    }
}

// MARK: nghttp2 callbacks (C function pointers: no captures; state through user_data)

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
          frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
    let h2 = H2Session.from(userData)
    let stream = H2Stream(id: frame.pointee.hd.stream_id, session: h2)
    h2.streams[stream.id] = stream
    h2.openedStreams += 1
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    guard let frame, let stream = H2Session.from(userData).streams[frame.pointee.hd.stream_id] else { return 0 }
    let problem = stream.head.add(
        name: UnsafeRawBufferPointer(start: name, count: nameLength),
        value: UnsafeRawBufferPointer(start: value, count: valueLength))
    return problem == nil ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
}

private let onFrameReceived: nghttp2_on_frame_recv_callback = { session, frame, userData in
    guard let frame else { return 0 }
    let h2 = H2Session.from(userData)
    if frame.pointee.hd.type == UInt8(NGHTTP2_DATA.rawValue) {
        if frame.pointee.hd.length == 0 && frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) == 0 {
            h2.emptyDataFrames += 1
            if h2.emptyDataFrames > H2Session.maxConsecutiveEmptyDataFrames {
                nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
                return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
            }
        } else {
            h2.emptyDataFrames = 0
        }
    }
    guard let stream = h2.streams[frame.pointee.hd.stream_id] else { return 0 }
    let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(frame.pointee.hd.type) {
    case NGHTTP2_HEADERS.rawValue where !stream.headersDone:
        stream.headersDone = true
        stream.requestEnded = endStream
        h2.worker.h2StartStream(stream)
    case NGHTTP2_DATA.rawValue, NGHTTP2_HEADERS.rawValue:
        if endStream {
            stream.requestEnded = true
            h2.worker.h2RequestEnded(stream)
        }
    default:
        break
    }
    return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamId, data, length, userData in
    let h2 = H2Session.from(userData)
    guard let stream = h2.streams[streamId] else { return 0 }
    h2.worker.h2ReceivedBody(stream, UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamId, _, userData in
    let h2 = H2Session.from(userData)
    guard let stream = h2.streams.removeValue(forKey: streamId) else { return 0 }
    h2.worker.h2StreamClosed(stream)
    return 0
}

private let readBody: nghttp2_data_source_read_callback = { _, streamId, buffer, length, flags, _, userData in
    let h2 = H2Session.from(userData)
    guard let stream = h2.streams[streamId], let buffer, let flags else {
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    return h2.worker.h2ReadBody(stream, into: UnsafeMutableRawBufferPointer(start: buffer, count: length), flags: flags)
}
