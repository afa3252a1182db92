import Testing

/// The transcript parser against a dialogue recorded from swaks 20201014.0 and Postfix 3.7.
@Suite struct SwaksTranscriptTests {
    static let recorded = """
        === Trying 127.0.0.1:26025...
        === Connected to 127.0.0.1.
        <-  220 gateway.test ESMTP Postfix
         -> EHLO vm
        <-  250-gateway.test
        <-  250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT
        <-  250 CHUNKING
         -> XCLIENT ADDR=203.0.113.9
        <-  220 gateway.test ESMTP Postfix
         -> MAIL FROM:<sender@outside.example>
        <-  250 2.1.0 Ok
         -> RCPT TO:<alice@corp.example>
        <-  250 2.1.5 Ok
         -> RCPT TO:<bob@elsewhere.example>
        <** 554 5.7.1 <bob@elsewhere.example>: Relay access denied
         -> DATA
        <-  354 End data with <CR><LF>.<CR><LF>
         -> Subject: test
         -> 
         -> .
        <-  250 2.0.0 Ok: queued as 157D3F781F0
         -> QUIT
        <-  221 2.0.0 Bye
        === Connection closed with remote host.
        """

    @Test func recipientReplies() {
        let transcript = SwaksTranscript(parsing: Self.recorded)
        let replies = transcript.recipientReplies
        #expect(replies.map(\.recipient) == ["alice@corp.example", "bob@elsewhere.example"])
        #expect(replies.map(\.reply.code) == [250, 554])
        #expect(replies[1].reply.enhancedCode == "5.7.1")
        #expect(replies[1].reply.text == "5.7.1 <bob@elsewhere.example>: Relay access denied")
    }

    @Test func multiLineAndStageReplies() {
        let transcript = SwaksTranscript(parsing: Self.recorded)
        #expect(transcript.exchanges.first?.command == "")
        #expect(transcript.exchanges[1].reply.text.split(separator: "\n").count == 3)
        #expect(transcript.mailReply?.code == 250)
        #expect(transcript.endOfDataReply?.text == "2.0.0 Ok: queued as 157D3F781F0")
    }

    @Test("message data written with CRLF line ends, as swaks writes it: the reply after \".\" is end of data")
    func crlfMessageData() {
        let transcript = SwaksTranscript(parsing: [
            " -> DATA", "<-  354 End data with <CR><LF>.<CR><LF>",
            " -> Subject: test\r\n -> \r\n -> body\r\n -> .", "<-  250 2.0.0 Ok: queued as 20B4EF78427",
            " -> QUIT", "<-  221 2.0.0 Bye",
        ].joined(separator: "\n"))
        #expect(transcript.exchanges.map(\.command) == ["DATA", ".", "QUIT"])
        #expect(transcript.endOfDataReply?.text == "2.0.0 Ok: queued as 20B4EF78427")
    }

    @Test func sinkDumpRecipients() {
        let dump = """
            X-Client-Addr: 127.0.0.1
            X-Client-Proto: ESMTP
            X-Helo-Args: gateway.test
            X-Mail-Args: <sender@outside.example>
            X-Rcpt-Args: <alice@corp.example> ORCPT=rfc822;alice@corp.example
            X-Rcpt-Args: <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>
            Received: from gateway.test ([127.0.0.1])
            \tby smtp-sink (smtp-sink) with ESMTP id 4334cea2;

            X-Rcpt-Args: <not-a-header@corp.example>
            """
        let message = SinkMessage(dump: dump)
        #expect(message.sender == "sender@outside.example")
        #expect(message.recipients == ["alice@corp.example", "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"])
    }
}
