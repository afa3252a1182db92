/// Where the parts of one address sit in its bytes, found in a single pass.
struct MailboxLayout {
    /// Where the mailbox starts: 0, or just past the `:` of a source route.
    var mailboxStart: Int
    /// One past the last byte of the address.
    var end: Int
    /// The last `@` outside quotes, which separates the outer local part from the domain; nil when there is none.
    var lastAt: Int?
    /// How many `@` the mailbox has outside quotes.
    var atCount: Int
    /// Whether the local part has a `"`, so its bytes must be unquoted before anything reads them.
    var localHasQuote: Bool

    /// Whether a source route was skipped.
    var hasSourceRoute: Bool { mailboxStart > 0 }

    /// The local part as written, quotes included.
    var localRange: Range<Int> { mailboxStart..<(lastAt ?? end) }

    /// The domain after the last `@`, empty when there is no `@`.
    var domainRange: Range<Int> { lastAt.map { ($0 + 1)..<end } ?? end..<end }

    /// The mailbox: the address without its source route.
    var mailboxRange: Range<Int> { mailboxStart..<end }
}
