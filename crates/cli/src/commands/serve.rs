//! `bulwark serve`

use crate::context::{Ctx, password_cost};
use crate::{DataArgs, ServeArgs};
use anyhow::{Context as _, Result, bail};
use bulwark_server::password::Passwords;
use bulwark_server::{HttpSettings, Listen, build_state, tls};
use std::process::ExitCode;

/// Builds the listener settings, creating the self-signed certificate on first start.
pub fn listen_of(ctx: &Ctx, serve: &ServeArgs) -> Result<(Listen, Option<String>)> {
    let listen = serve.listen.clone().unwrap_or_default();
    let addr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address such as 127.0.0.1:8443"))?;
    if serve.plain_http_behind_proxy {
        return Ok((Listen { addr, tls: None }, None));
    }
    let paths = match (&serve.tls_cert, &serve.tls_key) {
        (Some(cert), Some(key)) => tls::CertPaths {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ => {
            let (paths, created) = tls::ensure_self_signed(&ctx.dir.join("tls"))?;
            if created {
                eprintln!(
                    "generated a self-signed certificate in {}",
                    ctx.dir.join("tls").display()
                );
            }
            paths
        }
    };
    let fp = tls::fingerprint(&paths)?;
    Ok((
        Listen {
            addr,
            tls: Some(paths),
        },
        Some(fp),
    ))
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve_until_signal(ctx: &Ctx, serve: &ServeArgs, banner: &dyn Fn(&str)) -> Result<()> {
    let serve = &serve.resolve(&ctx.file);
    let (listen, fp) = listen_of(ctx, serve)?;
    let settings = HttpSettings {
        session_idle: time::Duration::minutes(serve.session_idle_minutes.unwrap_or(30).max(1)),
        bench_bare_routes: serve.bench_bare_routes,
        ..HttpSettings::default()
    };
    let passwords = Passwords::new(password_cost()).map_err(anyhow::Error::msg)?;
    let state = build_state(
        ctx.store.clone(),
        settings,
        ctx.cursor_key.clone(),
        passwords,
    );
    let tls_on = listen.tls.is_some();
    let (addr, handle, task) = bulwark_server::spawn(state, listen).await?;
    let url = format!("{}://{addr}", if tls_on { "https" } else { "http" });
    if let Some(fp) = fp {
        eprintln!("TLS certificate SHA-256 fingerprint: {fp}");
    } else {
        eprintln!("WARNING: plain HTTP: only run like this behind a TLS-terminating proxy");
    }
    if serve.bench_bare_routes {
        eprintln!("WARNING: benchmark bare routes are mounted (no policy, masking or audit)");
    }
    banner(&url);
    eprintln!("Bulwark is serving at {url} (Ctrl-C to stop)");
    let stop = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = ctrl_c => r,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            ctrl_c.await
        }
    };
    tokio::select! {
        r = stop => {
            r.context("signal handler")?;
            eprintln!("stopping…");
            handle.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        }
        r = task => {
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => bail!("server stopped: {e}"),
                Err(e) => bail!("server task failed: {e}"),
            }
        }
    }
    ctx.store.close().await;
    Ok(())
}

/// `bulwark serve`
pub async fn run(data: &DataArgs, serve: &ServeArgs) -> Result<ExitCode> {
    let ctx = Ctx::open(data).await?;
    serve_until_signal(&ctx, serve, &|_| {}).await?;
    Ok(ExitCode::SUCCESS)
}
