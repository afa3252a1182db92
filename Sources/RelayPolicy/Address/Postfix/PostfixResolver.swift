/// What Postfix's trivial-rewrite does to a recipient before smtpd hands it to a milter as `{rcpt_addr}`: the
/// "local" rewrite (source route dropped, `site!user` and `user%site` turned into `user@site`, `@$myorigin` appended),
/// then the resolver (local domains stripped and routing operators followed, `@$myhostname` appended, the result's
/// domain checked, a leading `-` refused). Written from Postfix's `src/trivial-rewrite/{rewrite,resolve}.c`; not a
/// copy.
struct PostfixResolver {
    let settings: PostfixAddressParser.Settings

    /// The resolved recipient in internal form, or nil when Postfix flags it as a syntax error.
    func resolve(_ address: [UInt8]) -> [UInt8]? {
        var tokens = Tok822()
        // smtpd_resolve_addr: rewrite_clnt_internal("local", ...) first.
        let rewritten = rewriteLocal(address)
        let tree = tokens.scanAddress(PostfixQuoting.quote822(rewritten))
        var savedDomain = Tok822.none
        var domain = Tok822.none
        // Postfix gives up after length + 100 rounds (a temporary failure); an address that loops that long is
        // refused here.
        var rounds = 0
        while true {
            rounds += 1
            if rounds > rewritten.count + 100 { return nil }
            // A trailing dot after a domain goes, but not dot-dot or at-dot.
            let last = tokens.tailOf(tree)
            if last != Tok822.none, tokens.type[last] == Int(UInt8(ascii: ".")),
               tokens.findBackward(last, Int(UInt8(ascii: "@"))) != Tok822.none {
                // An `@` precedes the dot, so there is a node before it.
                let before = tokens.prevOf(last)
                if tokens.type[before] != Int(UInt8(ascii: ".")), tokens.type[before] != Int(UInt8(ascii: "@")) {
                    tokens.subKeepBefore(tree, last)
                }
            }
            domain = tokens.findBackward(tokens.tailOf(tree), Int(UInt8(ascii: "@")))
            if domain != Tok822.none {
                let name = tokens.nextOf(domain)
                if name != Tok822.none, !isLocal(tokens.internalized(name)) { break }
                tokens.subKeepBefore(tree, domain)
                savedDomain = domain
                domain = Tok822.none
            }
            let tail = tokens.tailOf(tree)
            if tokens.findBackward(tail, Int(UInt8(ascii: "@"))) != Tok822.none
                || (settings.swapBangPath && tokens.findBackward(tail, Int(UInt8(ascii: "!"))) != Tok822.none)
                || (settings.percentHack && tokens.findBackward(tail, Int(UInt8(ascii: "%"))) != Tok822.none) {
                rewriteTree(&tokens, tree)
                continue
            }
            let head = tokens.headOf(tree)
            // A quoted local part is cracked open and searched for routing operators (resolve_dequoted_address).
            if head != Tok822.none, head == tokens.tailOf(tree), tokens.type[head] == Tok822.quoted,
               let operatorIndex = routingOperator(in: tokens.text[head]) {
                var local = tokens.text[head]
                if local[operatorIndex] == UInt8(ascii: "%") { local[operatorIndex] = UInt8(ascii: "@") }
                var text = local
                if local[operatorIndex] == UInt8(ascii: "@") { text = PostfixQuoting.quote822(local) }
                let (first, lastNode) = tokens.scan(text)
                tokens.setHead(tree, first)
                tokens.setTail(tree, lastNode)
                if first == Tok822.none { return nil }
                rewriteTree(&tokens, tree)
                continue
            }
            if head != Tok822.none, head == tokens.tailOf(tree), tokens.type[head] == Tok822.quoted, tokens.text[head].isEmpty {
                tokens.setHead(tree, Tok822.none)
                tokens.setTail(tree, Tok822.none)
            }
            if tokens.headOf(tree) == Tok822.none {
                let (first, lastNode) = tokens.scan(Array(settings.emptyAddressRecipient.utf8))
                tokens.setHead(tree, first)
                tokens.setTail(tree, lastNode)
                continue
            }
            if savedDomain == Tok822.none {
                tokens.subAppend(tree, tokens.alloc(Int(UInt8(ascii: "@"))))
                tokens.subAppend(tree, tokens.scan(Array(settings.myhostname.utf8)).first)
                continue
            }
            domain = Tok822.none
            break
        }
        if domain == Tok822.none {
            if savedDomain != Tok822.none {
                tokens.subAppend(tree, savedDomain)
            } else {
                tokens.subAppend(tree, tokens.alloc(Int(UInt8(ascii: "@"))))
                tokens.subAppend(tree, tokens.scan(Array(settings.myhostname.utf8)).first)
            }
        }
        let recipient = tokens.internalized(tokens.headOf(tree))
        guard let at = recipient.lastIndex(of: UInt8(ascii: "@")) else { return nil }
        let recipientDomain = Array(recipient[(at + 1)...])
        if recipientDomain.first == UInt8(ascii: "[") {
            guard PostfixHostSyntax.isMailhostLiteral(recipientDomain) else { return nil }
        } else if settings.smtputf8 && !PostfixHostSyntax.isValidUTF8(recipient) {
            return nil
        } else if !PostfixHostSyntax.isHostname(recipientDomain, utf8: settings.smtputf8) {
            return nil
        }
        // resolve.c's last check, whatever the domain: an external command could read `-x@...` as an option.
        if !settings.allowMinUser, recipient.first == UInt8(ascii: "-") { return nil }
        return recipient
    }

    /// The last `@`, else the last `%` (percent hack), else the last `!` (bang paths).
    private func routingOperator(in local: [UInt8]) -> Int? {
        if let at = local.lastIndex(of: UInt8(ascii: "@")) { return at }
        if settings.percentHack, let percent = local.lastIndex(of: UInt8(ascii: "%")) { return percent }
        if settings.swapBangPath, let bang = local.lastIndex(of: UInt8(ascii: "!")) { return bang }
        return nil
    }

    /// resolve_local: a name in `mydestination` (one trailing dot ignored), or a literal of an own address.
    private func isLocal(_ name: [UInt8]) -> Bool {
        var name = name
        if name.last == UInt8(ascii: ".") { name.removeLast() }
        guard !name.isEmpty, name.last != UInt8(ascii: ".") else { return false }
        let lower = String(decoding: name, as: UTF8.self).lowercased()
        if settings.localDomains.contains(lower) { return true }
        guard name.first == UInt8(ascii: "["), name.last == UInt8(ascii: "]"), name.count >= 2 else { return false }
        let inside = String(decoding: name[1..<(name.count - 1)], as: UTF8.self)
        guard let bare = PostfixHostSyntax.mailhostAddress(inside), let ip = IPAddress(bare) else { return false }
        return settings.localAddresses.contains(ip)
    }

    /// rewrite_clnt_internal("local", ...): external form in, rewritten, internal form out.
    func rewriteLocal(_ address: [UInt8]) -> [UInt8] {
        let external = PostfixQuoting.quote822(address)
        guard !external.isEmpty else { return address }
        var tokens = Tok822()
        let tree = tokens.scanAddress(external)
        guard tokens.headOf(tree) != Tok822.none else { return address }
        rewriteTree(&tokens, tree)
        // tok822_externalize of the address node: its text, local part requoted.
        let text = PostfixQuoting.quote822(tokens.internalized(tokens.headOf(tree)))
        return PostfixQuoting.unquote822(text)
    }

    /// rewrite_tree in the "local" context.
    func rewriteTree(_ tokens: inout Tok822, _ tree: Int) {
        let at = Int(UInt8(ascii: "@"))
        let head = tokens.headOf(tree)
        guard head != Tok822.none else { return }
        if head == tokens.tailOf(tree), tokens.type[head] == Tok822.quoted, tokens.text[head].isEmpty { return }
        if head == tokens.tailOf(tree), tokens.type[head] == at {
            tokens.subKeepBefore(tree, head)
            tokens.subAppend(tree, tokens.alloc(Tok822.quoted))
            return
        }
        // The source route goes.
        if tokens.type[head] == at {
            let colon = tokens.findForward(head, Int(UInt8(ascii: ":")))
            if colon != Tok822.none, colon != tokens.tailOf(tree) { tokens.subKeepAfter(tree, colon) }
        }
        if tokens.findBackward(tokens.tailOf(tree), at) == Tok822.none {
            let bang = settings.swapBangPath ? tokens.findForward(tokens.headOf(tree), Int(UInt8(ascii: "!"))) : Tok822.none
            let percent = settings.percentHack ? tokens.findBackward(tokens.tailOf(tree), Int(UInt8(ascii: "%"))) : Tok822.none
            if bang != Tok822.none {
                // site!user becomes user@site.
                tokens.subKeepBefore(tree, bang)
                let local = tokens.cutAfter(bang)
                tokens.subPrepend(tree, tokens.alloc(at))
                if local != Tok822.none { tokens.subPrepend(tree, local) }
            } else if percent != Tok822.none {
                // user%site becomes user@site (the last `%`).
                tokens.setType(percent, at)
            } else if !settings.myorigin.isEmpty {
                tokens.subAppend(tree, tokens.alloc(at))
                tokens.subAppend(tree, tokens.scan(Array(settings.myorigin.utf8)).first)
            }
        }
        // A trailing dot goes, but not dot-dot or at-dot.
        let tail = tokens.tailOf(tree)
        if tail != Tok822.none, tokens.type[tail] == Int(UInt8(ascii: ".")) {
            let before = tokens.prevOf(tail)
            if before != Tok822.none, tokens.type[before] != Int(UInt8(ascii: ".")), tokens.type[before] != at {
                tokens.subKeepBefore(tree, tail)
            }
        }
    }
}
