"""Text messages: the gateway adapter and its outbox, the message text, the short link, sending and receipts."""
