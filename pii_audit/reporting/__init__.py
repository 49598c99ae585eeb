"""Reports and exports of the ledger: a view model built once, rendered as HTML, Excel and JSONL."""
