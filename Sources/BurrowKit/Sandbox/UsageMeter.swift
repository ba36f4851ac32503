import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Token counts of model responses, as the API reports them in `usage`.
public struct TokenUsage: Codable, Sendable, Equatable {
    public var inputTokens = 0
    public var outputTokens = 0
    public var cacheCreationTokens = 0
    public var cacheReadTokens = 0

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheCreationTokens: Int = 0, cacheReadTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheCreationTokens = cacheCreationTokens
        self.cacheReadTokens = cacheReadTokens
    }

    /// Every token the API processed, the measure of a token budget.
    public var total: Int { inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens }

    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens,
                   cacheCreationTokens: a.cacheCreationTokens + b.cacheCreationTokens, cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens)
    }
}

/// Reads `usage` from a model response while its bytes pass on to the agent, without holding the
/// stream: SSE is cut into lines as it comes and only `message_start` / `message_delta` data lines
/// are decoded; a plain JSON answer is kept up to `maxJSONBytes`. Lines over `maxLineBytes` are
/// skipped, so a hostile or broken upstream costs bounded memory and never stops the forwarding.
struct UsageMeter {
    static let maxLineBytes = 1 << 20
    static let maxJSONBytes = 8 << 20

    private enum Mode { case events, json, ignored }
    private let mode: Mode
    private var line: [UInt8] = []
    private var skippingLine = false
    private var event = ""
    private(set) var model: String?
    private(set) var usage: TokenUsage?

    init(contentType: String?) {
        let type = contentType?.lowercased() ?? ""
        mode = type.hasPrefix("text/event-stream") ? .events : (type.hasPrefix("application/json") ? .json : .ignored)
    }

    mutating func feed(_ bytes: [UInt8]) {
        switch mode {
        case .ignored:
            return
        case .json:
            guard !skippingLine else { return }
            if line.count + bytes.count > Self.maxJSONBytes {
                skippingLine = true
                line = []
            } else {
                line.append(contentsOf: bytes)
            }
        case .events:
            var start = bytes.startIndex
            while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                append(bytes[start..<newline])
                if !skippingLine { takeLine(line) }
                line.removeAll(keepingCapacity: line.count <= 4096)
                skippingLine = false
                start = newline + 1
            }
            append(bytes[start...])
        }
    }

    /// The answer ended: a JSON body is read now.
    mutating func finish() {
        guard mode == .json, !skippingLine, let message = try? JSONCoding.decoder.decode(Message.self, from: Data(line)) else { return }
        model = message.model ?? model
        if let reported = message.usage { usage = reported.tokens }
        line = []
    }

    private mutating func append(_ piece: ArraySlice<UInt8>) {
        guard !skippingLine else { return }
        if line.count + piece.count > Self.maxLineBytes {
            skippingLine = true
            line = []
        } else {
            line.append(contentsOf: piece)
        }
    }

    private mutating func takeLine(_ raw: [UInt8]) {
        var text = raw[...]
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        if text.isEmpty {
            event = ""
        } else if text.starts(with: Self.eventPrefix) {
            event = String(decoding: text.dropFirst(Self.eventPrefix.count), as: UTF8.self).trimmingSpaces.description
        } else if text.starts(with: Self.dataPrefix), event == "message_start" || event == "message_delta" || event.isEmpty {
            takeData(Array(text.dropFirst(Self.dataPrefix.count)))
        }
    }

    private mutating func takeData(_ data: [UInt8]) {
        guard let object = try? JSONCoding.decoder.decode(StreamEvent.self, from: Data(data)) else { return }
        switch object.type {
        case "message_start":
            model = object.message?.model ?? model
            if let reported = object.message?.usage { usage = reported.tokens }
        case "message_delta":
            // Cumulative for the message: the latest counts replace the earlier ones.
            guard let reported = object.usage else { return }
            var current = usage ?? TokenUsage()
            current.outputTokens = reported.output_tokens.map(Usage.bounded) ?? current.outputTokens
            current.inputTokens = reported.input_tokens.map(Usage.bounded) ?? current.inputTokens
            current.cacheCreationTokens = reported.cache_creation_input_tokens.map(Usage.bounded) ?? current.cacheCreationTokens
            current.cacheReadTokens = reported.cache_read_input_tokens.map(Usage.bounded) ?? current.cacheReadTokens
            usage = current
        default:
            break
        }
    }

    private static let eventPrefix = Array("event:".utf8)
    private static let dataPrefix = Array("data:".utf8)

    struct Usage: Decodable {
        let input_tokens: Int?
        let output_tokens: Int?
        let cache_creation_input_tokens: Int?
        let cache_read_input_tokens: Int?

        var tokens: TokenUsage {
            TokenUsage(inputTokens: Self.bounded(input_tokens ?? 0), outputTokens: Self.bounded(output_tokens ?? 0),
                       cacheCreationTokens: Self.bounded(cache_creation_input_tokens ?? 0), cacheReadTokens: Self.bounded(cache_read_input_tokens ?? 0))
        }

        /// An upstream's number, kept to a range whose sums cannot overflow.
        static func bounded(_ value: Int) -> Int { min(max(0, value), 1 << 40) }
    }

    struct Message: Decodable {
        let model: String?
        let usage: Usage?
    }

    struct StreamEvent: Decodable {
        let type: String
        let message: Message?
        let usage: Usage?
    }
}
