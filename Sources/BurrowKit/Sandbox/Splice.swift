/// Copies bytes both ways between two sockets until both directions end; returns the bytes moved
/// each way. An end of stream on one side half-closes the other, so protocols that send a last
/// request and then read the answer (TLS close_notify, HTTP/1.0) still work.
enum Splice {
    static func run(_ client: AsyncSocket, _ upstream: AsyncSocket) async -> (sent: Int, received: Int) {
        async let sent = copy(from: client, to: upstream)
        async let received = copy(from: upstream, to: client)
        let result = await (sent, received)
        client.close()
        upstream.close()
        return result
    }

    static func copy(from source: AsyncSocket, to destination: AsyncSocket) async -> Int {
        var total = 0
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256 * 1024)
        do {
            while true {
                buffer.removeAll(keepingCapacity: true)
                guard try await source.read(into: &buffer, maxBytes: 256 * 1024) > 0 else { break }
                try await destination.write(buffer)
                total += buffer.count
            }
            destination.shutdownWriting()
        } catch {
            // One side failed: end both directions.
            source.shutdown()
            destination.shutdown()
        }
        return total
    }
}
