/// The page's one stylesheet, inline so the file opens offline.
enum ReportStyle {
    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#fff;margin:0 auto;max-width:1180px;padding:12px 24px 40px}
    h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 2px;border-bottom:1px solid #dde2ea;padding-bottom:2px}
    .summary{margin:2px 0;color:#3a4456}.live{background:#fff4d6;padding:4px 8px;border-radius:4px}
    nav a{color:#2456a6;text-decoration:none}.caption{margin:2px 0 8px;color:#4a5466;font-size:13px;max-width:1100px}
    svg{width:100%;height:auto;display:block}svg text{font-family:inherit}
    .note,.legend,footer{font-size:12px;color:#4a5466}footer{margin-top:30px}
    .tick{font-size:10px;fill:#5b6578}.lane{font-size:11px;fill:#1d2330}.elabel{font-size:9px;fill:#6a3fb0}
    .axis{stroke:#8a93a3;stroke-width:1}.grid{stroke:#e6e9ef;stroke-width:1}
    .up{fill:#e9edf2}.down{fill:#6b7280}.sick{fill:#f5a524}.crashed{fill:#d64545}.resigned{fill:#9b6bd6}.unreachable{fill:#a0703c}
    .recovering{fill:#7cc48d;fill-opacity:.8}.trader{fill:#2456a6}.on-trader{font-size:9px;fill:#fff}.on-trader.small{font-size:7.5px}
    .election{fill:#8b5cf6;fill-opacity:.16}.nemesis{fill:#f59e0b;fill-opacity:.18}.window{fill:#111827;fill-opacity:.55}
    .initiator{fill:#5b21b6;stroke:#fff;stroke-width:.8}
    .view-change{fill:#1f2937}
    .mark-crash{fill:#7f1d1d}.mark-sick{fill:#7c4a03;font-weight:700}.mark-resign{fill:#4c1d95}.mark-recover{fill:#14532d}
    .bought{fill:#2f6fd6;fill-opacity:.7}.failed{fill:#f08c00}.takeover{fill:none;stroke:#d62828;stroke-width:1.4}
    .pending{fill:#6b7280}.band{fill:#a9b4c6;fill-opacity:.55}.median{fill:none;stroke:#2456a6;stroke-width:1.3}
    .req-bought{fill:#2f6fd6}.req-failed{fill:#f08c00}.req-pending{fill:#6b7280}.wait{stroke:#1d2330;stroke-width:.5}
    .unnoticed{fill:url(#unnoticed);stroke:#b45309;stroke-width:.8}
    .unnoticed-note path{fill:none;stroke:#b45309;stroke-width:1.4}.unnoticed-label{font-size:9.5px;font-weight:600;fill:#7c2d12}
    .rate{fill:#2f6fd6}.rate-failed{fill:#f08c00}
    .lifeline{stroke:#b8c0cc;stroke-width:1}.event{fill:#1d2330}.arrow{stroke-width:1.1}
    .msg .arrow{stroke:#2f6fd6}.vote .arrow{stroke:#7c3aed;stroke-width:1.6}.beat .arrow{stroke:#a3acb9;stroke-dasharray:3 2}
    .sell .arrow{stroke:#16a34a}.bad .arrow{stroke:#dc2626;stroke-width:2}
    .head-msg{fill:#2f6fd6}.head-vote{fill:#7c3aed}.head-beat{fill:#a3acb9}.head-sell{fill:#16a34a}.head-bad{fill:#dc2626}
    .mlabel{font-size:8.5px;fill:#1d2330;paint-order:stroke;stroke:#fff;stroke-width:2.5px}
    .beat .mlabel{fill:#7a8494}
    .key{display:inline-block;width:14px;height:10px;margin:0 4px 0 10px;vertical-align:-1px;border-radius:2px}
    .key.up{background:#e9edf2}.key.sick{background:#f5a524}.key.crashed{background:#d64545}.key.resigned{background:#9b6bd6}.key.unreachable{background:#a0703c}
    .key.recovering{background:#7cc48d}.key.down{background:#6b7280}.key.trader{background:#2456a6}.key.election{background:#ddd0fb}.key.nemesis{background:#fde2b3}.key.window{background:#4b5563;height:4px;vertical-align:2px}
    .key.req-bought{background:#2f6fd6;height:6px;vertical-align:1px}.key.req-failed{background:#f08c00;height:6px;vertical-align:1px}
    .key.unnoticed{background:repeating-linear-gradient(45deg,#f5a524 0 2px,#fff 2px 4px);outline:1px solid #b45309}
    .tables{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
    table.books{border-collapse:collapse;font-size:12.5px;margin:6px 0}
    .books th,.books td{border-bottom:1px solid #e6e9ef;padding:2px 9px;text-align:left}.books td.n{text-align:right;font-variant-numeric:tabular-nums}
    .verdict{font-weight:600;margin:10px 0 2px}.pass{color:#15803d}.fail{color:#b91c1c}
    ul.checks{font-size:12.5px;margin:2px 0;padding-left:18px}.checks .bad{color:#b91c1c}
    details summary{cursor:pointer;font-size:13px;color:#2456a6;margin-top:4px}
    """
}
