"""Certificates for the TLS tests, made with the openssl CLI: a test CA and leaves
signed by it, so that clients can verify what the proxy serves and read its names."""
from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class CertAuthority:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.cert = folder / "ca.pem"
        self.key = folder / "ca.key"
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(self.key), "-out", str(self.cert), "-subj", "/CN=tenant-edge test CA",
             "-days", "3", cwd=folder)
        self.serial = 1000

    def issue(self, cert_path: Path, key_path: Path, names: list[str], days: int = 3) -> None:
        """A leaf for `names` (subjectAltName DNS entries), P-256, signed by this CA."""
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        csr = cert_path.with_suffix(".csr")
        ext = cert_path.with_suffix(".ext")
        ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
        _run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(key_path), "-out", str(csr), "-subj", f"/CN={names[0]}", cwd=self.folder)
        self.serial += 1
        _run("x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
             "-set_serial", str(self.serial), "-days", str(days), "-extfile", str(ext),
             "-out", str(cert_path), cwd=self.folder)
        csr.unlink()
        ext.unlink()

    def ocsp_response(self, cert_path: Path, out_path: Path) -> None:
        """A signed DER OCSP response saying `cert_path` is good, made the way a CA's
        responder would: an index.txt database, a request, and `openssl ocsp -index`."""
        out = subprocess.run(["openssl", "x509", "-in", str(cert_path), "-noout", "-serial", "-enddate"],
                             check=True, capture_output=True, text=True).stdout
        fields = dict(line.split("=", 1) for line in out.splitlines())
        expiry = datetime.strptime(fields["notAfter"].replace("  ", " "), "%b %d %H:%M:%S %Y %Z")
        index = self.folder / "index.txt"
        index.write_text(f"V\t{expiry:%y%m%d%H%M%S}Z\t\t{fields['serial']}\tunknown\t/CN=leaf\n")
        request = self.folder / "ocsp-request.der"
        _run("ocsp", "-issuer", str(self.cert), "-cert", str(cert_path), "-no_nonce", "-reqout", str(request),
             cwd=self.folder)
        _run("ocsp", "-index", str(index), "-rsigner", str(self.cert), "-rkey", str(self.key), "-CA", str(self.cert),
             "-reqin", str(request), "-respout", str(out_path), "-ndays", "1", cwd=self.folder)

    def new_key(self, key_path: Path) -> None:
        _run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key_path),
             cwd=self.folder)


def start_tls_edge(work: Path, database: str, backends: dict, tls_extra: str = "",
                   timeouts: dict | None = None, before_start=None, extra: str = "") -> dict:
    """A proxy with a plain and an https listener, a default certificate, and a folder of
    per-host, wildcard, certbot-style and deliberately broken certificate files.
    `tls_extra` adds lines to the `tls:` section (two-space indented); `before_start(ca,
    work, certs)` may add files (OCSP responses) before the proxy reads the folder; `extra`
    adds top-level lines after the `tls:` section."""
    from conftest import edge_env
    from helpers import PLATFORM, EdgeProcess, config_yaml, free_port

    ca = CertAuthority(work / "ca")
    certs = work / "certs"
    ca.issue(work / "default.pem", work / "default.key", ["default.test"])
    ca.issue(certs / "www.shop1.test.pem", certs / "www.shop1.test.key", ["www.shop1.test"])
    ca.issue(certs / f"_wildcard.{PLATFORM}.pem", certs / f"_wildcard.{PLATFORM}.key", [f"*.{PLATFORM}"])
    ca.issue(certs / "live" / "www.demo1.test" / "fullchain.pem", certs / "live" / "www.demo1.test" / "privkey.pem",
             ["www.demo1.test"])
    (certs / "broken.test.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    (certs / "broken.test.key").write_text("garbage\n")
    ca.issue(certs / "mismatch.test.pem", certs / "mismatch.test.key", ["mismatch.test"])
    ca.new_key(certs / "mismatch.test.key")

    port, tls_port, admin_port = free_port(), free_port(), free_port()
    config = config_yaml(port, admin_port, backends["default"].port, backends["api"].port,
                         str(work / "routes.json"), timeouts=timeouts)
    config = config.replace("listen:\n", f'listen:\n  - {{ address: "127.0.0.1:{tls_port}", protocol: https }}\n', 1)
    config += f"""tls:
  default_certificate: {{ cert: "{work / 'default.pem'}", key: "{work / 'default.key'}" }}
  certificates_dir: "{certs}"
{tls_extra}"""
    if extra:
        config += "\n" + extra
    if before_start is not None:
        before_start(ca, work, certs)
    config_path = work / "tenant-edge.yaml"
    config_path.write_text(config)
    proc = EdgeProcess(str(config_path), edge_env(database), port, str(work))
    proc.start()
    return {"proc": proc, "port": tls_port, "ca": ca, "certs": certs, "backend": backends["default"],
            "plain_port": port, "admin_port": admin_port, "config": config_path}


