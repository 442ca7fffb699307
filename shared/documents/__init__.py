"""Paper and spreadsheets (纸质表与电子表格): the printable forms of a dossier's reads (PDF, WeasyPrint from HTML
templates) and the lists as workbooks (XLSX, written by XlsxWriter in constant memory, read by python-calamine).

Pure rendering: a document is made from the JSON answers the gateway already has; nothing here reads a store or
knows HTTP. ``labels`` holds the Chinese names of the codes the answers use."""
