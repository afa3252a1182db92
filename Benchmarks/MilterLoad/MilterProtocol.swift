/// Milter protocol version 6 constants the generator uses (libmilter's mfdef.h names in comments).
enum MilterProtocol {
    static let version: UInt32 = 6
    /// SMFI_CURR_ACTS: every action, SMFIF_SETSYMLIST included, as Postfix offers with milter_protocol = 6.
    static let offeredActions: UInt32 = 0x1FF
    /// Every SMFIP_* step flag up to SMFIP_HDR_LEADSPC (SMFI_V6_PROT).
    static let offeredSteps: UInt32 = 0x1F_FFFF

    // Step flags the milter may answer with.
    static let noConnect: UInt32 = 0x1, noHelo: UInt32 = 0x2, noMail: UInt32 = 0x4, noRcpt: UInt32 = 0x8
    static let noData: UInt32 = 0x200
    static let noReplyConnect: UInt32 = 0x1000, noReplyHelo: UInt32 = 0x2000, noReplyMail: UInt32 = 0x4000
    static let noReplyRcpt: UInt32 = 0x8000, noReplyData: UInt32 = 0x10000

    /// The protocol stages, with their SMFIM_* index (for macro lists), command byte and Postfix's default macros.
    enum Stage: Int, CaseIterable {
        case connect = 0, helo, mail, rcpt, data, eom

        var command: UInt8 {
            switch self {
            case .connect: UInt8(ascii: "C")
            case .helo: UInt8(ascii: "H")
            case .mail: UInt8(ascii: "M")
            case .rcpt: UInt8(ascii: "R")
            case .data: UInt8(ascii: "T")
            case .eom: UInt8(ascii: "E")
            }
        }

        /// Postfix 3.7's milter_*_macros defaults.
        var postfixDefaultMacros: [String] {
            switch self {
            case .connect: ["j", "{daemon_name}", "{daemon_addr}", "v", "_"]
            case .helo: ["{tls_version}", "{cipher}", "{cipher_bits}", "{cert_subject}", "{cert_issuer}"]
            case .mail: ["i", "{auth_type}", "{auth_authen}", "{auth_author}", "{mail_addr}", "{mail_host}", "{mail_mailer}"]
            case .rcpt: ["i", "{rcpt_addr}", "{rcpt_host}", "{rcpt_mailer}"]
            case .data: ["i"]
            case .eom: ["i"]
            }
        }

        var name: String { ["connect", "helo", "mail", "rcpt", "data", "eom"][rawValue] }
    }

    /// Final replies; anything else ('p' progress, header/recipient changes at EOM) is read past.
    static func isFinal(_ reply: UInt8) -> Bool {
        "crtyads".utf8.contains(reply)
    }
}

extension Array where Element == UInt8 {
    mutating func appendString(_ text: String) {
        append(contentsOf: text.utf8)
        append(0)
    }

    mutating func appendUInt32(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }
}
