import MarketCore
import NIOCore

/// The binary form of an `Envelope` on the wire: a tag byte per message kind, integers as
/// 8 bytes big-endian, products and reasons as one byte. A profile of a 16-peer run found
/// Codable JSON taking half of every peer's CPU time (most of it decoding); this form
/// costs a few hundred nanoseconds a frame. Anything that does not parse, exactly and to
/// the last byte, is a `Framing.Failure`.
enum WireCodec {
    fileprivate enum Tag: UInt8 {
        case election = 1, ok, coordinator, resign, heartbeat, buy, ack, doneBuying, queued, restamp, buyResult
        case deposit, depositAccepted, payout, delivered
    }

    static func write(_ envelope: Envelope, into buffer: inout ByteBuffer) {
        buffer.writeInt(envelope.from)
        buffer.writeInt(envelope.to)
        buffer.writeInteger(envelope.clock)
        switch envelope.message {
        case .election: buffer.writeTag(.election)
        case .ok: buffer.writeTag(.ok)
        case .coordinator(let epoch):
            buffer.writeTag(.coordinator)
            buffer.writeInt(epoch)
        case .resign(let epoch):
            buffer.writeTag(.resign)
            buffer.writeInt(epoch)
        case .heartbeat(let epoch, let leader):
            buffer.writeTag(.heartbeat)
            buffer.writeInt(epoch)
            buffer.writeInteger(UInt8(leader == nil ? 0 : 1))
            if let leader { buffer.writeInt(leader) }
        case .buy(let request, let firstAttempt):
            buffer.writeTag(.buy)
            buffer.writeRequest(request)
            buffer.writeInteger(UInt8(firstAttempt ? 1 : 0))
        case .ack(let id):
            buffer.writeTag(.ack)
            buffer.writeRequestID(id)
        case .doneBuying: buffer.writeTag(.doneBuying)
        case .queued(let id):
            buffer.writeTag(.queued)
            buffer.writeRequestID(id)
        case .restamp(let id):
            buffer.writeTag(.restamp)
            buffer.writeRequestID(id)
        case .buyResult(let id, let outcome):
            buffer.writeTag(.buyResult)
            buffer.writeRequestID(id)
            switch outcome {
            case .bought(let trade):
                buffer.writeInteger(UInt8(0))
                buffer.writeTrade(trade)
            case .failed(.noSeller):
                buffer.writeInteger(UInt8(1))
            }
        case .deposit(let deposit):
            buffer.writeTag(.deposit)
            buffer.writeInt(deposit.id)
            buffer.writeInt(deposit.seller)
            buffer.writeProduct(deposit.product)
            buffer.writeInt(deposit.quantity)
        case .depositAccepted(let depositID):
            buffer.writeTag(.depositAccepted)
            buffer.writeInt(depositID)
        case .payout(let id, let trade):
            buffer.writeTag(.payout)
            buffer.writeRequestID(id)
            buffer.writeTrade(trade)
        case .delivered(let ids):
            buffer.writeTag(.delivered)
            buffer.writeInteger(UInt32(ids.count))
            for id in ids { buffer.writeRequestID(id) }
        }
    }

    static func read(_ payload: ByteBuffer) throws(Framing.Failure) -> Envelope {
        var buffer = payload
        let envelope = try readEnvelope(&buffer)
        guard buffer.readableBytes == 0 else { throw .undecodable("\(buffer.readableBytes) bytes after the message") }
        return envelope
    }

    /// Every envelope of a frame that carries one or more (`EnvelopeBatch`), in order.
    static func readAll(_ payload: ByteBuffer) throws(Framing.Failure) -> [Envelope] {
        var buffer = payload
        var envelopes: [Envelope] = []
        repeat {
            envelopes.append(try readEnvelope(&buffer))
        } while buffer.readableBytes > 0
        return envelopes
    }

    private static func readEnvelope(_ buffer: inout ByteBuffer) throws(Framing.Failure) -> Envelope {
        let from = try buffer.readInt()
        let to = try buffer.readInt()
        let clock: UInt64 = try buffer.read()
        let tagByte: UInt8 = try buffer.read()
        guard let tag = Tag(rawValue: tagByte) else { throw .undecodable("unknown message tag \(tagByte)") }
        let message: Message
        switch tag {
        case .election: message = .election
        case .ok: message = .ok
        case .coordinator: message = .coordinator(epoch: try buffer.readInt())
        case .resign: message = .resign(epoch: try buffer.readInt())
        case .heartbeat:
            let epoch = try buffer.readInt()
            message = .heartbeat(epoch: epoch, leader: try buffer.readFlag() ? try buffer.readInt() : nil)
        case .buy:
            let request = try buffer.readRequest()
            message = .buy(request, firstAttempt: try buffer.readFlag())
        case .ack: message = .ack(try buffer.readRequestID())
        case .doneBuying: message = .doneBuying
        case .queued: message = .queued(try buffer.readRequestID())
        case .restamp: message = .restamp(try buffer.readRequestID())
        case .buyResult:
            let id = try buffer.readRequestID()
            message = .buyResult(id, try buffer.readFlag() ? .failed(.noSeller) : .bought(try buffer.readTrade()))
        case .deposit:
            let id = try buffer.readInt()
            let seller = try buffer.readInt()
            let product = try buffer.readProduct()
            message = .deposit(Deposit(id: id, seller: seller, product: product, quantity: try buffer.readInt()))
        case .depositAccepted: message = .depositAccepted(depositID: try buffer.readInt())
        case .payout:
            let id = try buffer.readRequestID()
            message = .payout(id, try buffer.readTrade())
        case .delivered:
            let count: UInt32 = try buffer.read()
            // Each id takes 16 bytes: a count the frame cannot hold is a lie, not an allocation.
            guard Int(count) * 16 <= buffer.readableBytes else { throw .undecodable("\(count) ids in a short frame") }
            var ids: [RequestID] = []
            ids.reserveCapacity(Int(count))
            for _ in 0..<count { ids.append(try buffer.readRequestID()) }
            message = .delivered(ids)
        }
        return Envelope(from: from, to: to, clock: clock, message: message)
    }
}

private extension ByteBuffer {
    mutating func writeTag(_ tag: WireCodec.Tag) { writeInteger(tag.rawValue) }
    mutating func writeInt(_ value: Int) { writeInteger(Int64(value)) }
    mutating func writeProduct(_ product: Product) {
        writeInteger(UInt8(Product.allCases.firstIndex(of: product) ?? 0))
    }

    mutating func writeRequestID(_ id: RequestID) {
        writeInt(id.buyer)
        writeInt(id.seq)
    }

    mutating func writeRequest(_ request: BuyRequest) {
        writeRequestID(request.id)
        writeProduct(request.product)
        writeInt(request.quantity)
        writeInteger(request.lamport)
    }

    mutating func writeTrade(_ trade: Trade) {
        writeInt(trade.tradeID)
        writeInt(trade.seller)
        writeInt(trade.trader)
        writeInt(trade.epoch)
        writeProduct(trade.product)
        writeInt(trade.quantity)
        writeInt(trade.priceCents)
        writeInt(trade.commissionCents)
    }

    mutating func read<Integer: FixedWidthInteger>() throws(Framing.Failure) -> Integer {
        guard let value = readInteger(as: Integer.self) else { throw .undecodable("the frame ends inside a message") }
        return value
    }

    mutating func readInt() throws(Framing.Failure) -> Int {
        let value: Int64 = try read()
        return Int(value)
    }

    mutating func readFlag() throws(Framing.Failure) -> Bool {
        let byte: UInt8 = try read()
        guard byte <= 1 else { throw .undecodable("flag byte \(byte)") }
        return byte == 1
    }

    mutating func readProduct() throws(Framing.Failure) -> Product {
        let index: UInt8 = try read()
        guard Int(index) < Product.allCases.count else { throw .undecodable("product \(index)") }
        return Product.allCases[Int(index)]
    }

    mutating func readRequestID() throws(Framing.Failure) -> RequestID {
        let buyer = try readInt()
        return RequestID(buyer: buyer, seq: try readInt())
    }

    mutating func readRequest() throws(Framing.Failure) -> BuyRequest {
        let id = try readRequestID()
        let product = try readProduct()
        let quantity = try readInt()
        return BuyRequest(id: id, product: product, quantity: quantity, lamport: try read())
    }

    mutating func readTrade() throws(Framing.Failure) -> Trade {
        let tradeID = try readInt()
        let seller = try readInt()
        let trader = try readInt()
        let epoch = try readInt()
        let product = try readProduct()
        let quantity = try readInt()
        let price = try readInt()
        return Trade(tradeID: tradeID, seller: seller, trader: trader, epoch: epoch, product: product,
                     quantity: quantity, priceCents: price, commissionCents: try readInt())
    }
}
