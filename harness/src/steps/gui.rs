//! The administrator at the Gluu Gateway Admin GUI, in the tutorials' words: "Click SERVICES on
//! the left panel", "Click on + ADD NEW SERVICE", "Fill in the following boxes", "Click on the
//! + of the title Gluu OAuth Auth & PEP", "+ ADD PATH", "+ CREATE CLIENT".
//!
//! The administrator has a browser of their own (the user of the protected site has another).
//! Typed values and ticked boxes are kept until the next button click, which submits the form
//! holding that button with them, as a person fills in a form and then presses a button.

use cucumber::{then, when};
use scraper::{Html, Selector};

use super::check;
use crate::browser::{Browser, Page};
use crate::world::GateWorld;

fn gui(w: &mut GateWorld) -> anyhow::Result<&mut Browser> {
    if w.gui_browser.is_none() {
        w.gui_browser = Some(w.new_scripted_browser()?);
    }
    w.gui_browser
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("no GUI browser"))
}

fn page(w: &GateWorld) -> anyhow::Result<Page> {
    Ok(w.gui_browser
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the administrator has not opened the Admin GUI yet"))?
        .page()?)
}

fn describe(p: &Page) -> String {
    let text: String = p.text().chars().take(500).collect();
    format!("{} {}: {text}", p.status, p.url)
}

fn selector(css: &str) -> anyhow::Result<Selector> {
    Selector::parse(css).map_err(|e| anyhow::anyhow!("selector {css}: {e}"))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The field name a label (`<label for=ID>`) or name designates on the page.
fn field_name(html: &Html, label: &str) -> anyhow::Result<Option<String>> {
    let labels = selector("label[for]")?;
    let Some(id) = html
        .select(&labels)
        .find(|l| squash(&l.text().collect::<String>()).eq_ignore_ascii_case(label))
        .and_then(|l| l.value().attr("for"))
    else {
        return Ok(None);
    };
    let by_id = selector("input, textarea, select")?;
    Ok(html
        .select(&by_id)
        .find(|e| e.value().attr("id") == Some(id))
        .and_then(|e| e.value().attr("name").map(str::to_owned)))
}

#[when("the administrator logs in to the Admin GUI")]
async fn log_in(w: &mut GateWorld) -> anyhow::Result<()> {
    let (url, user, password) = {
        let g = w.target()?.gui()?;
        (
            format!("{}/", g.url),
            g.username.clone(),
            g.password.clone(),
        )
    };
    let b = gui(w)?;
    b.open(&url).await?;
    let p = b
        .submit(
            Some("loginForm"),
            &[("username", &user), ("password", &password)],
            Some("Login"),
        )
        .await?;
    check!(
        p.status == 200 && p.heading().as_deref() == Some("Dashboard"),
        "the login did not reach the Dashboard: {}",
        describe(&p)
    );
    Ok(())
}

#[when(expr = "the administrator opens the Admin GUI at {string}")]
async fn open(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    let url = format!("{}{path}", w.target()?.gui()?.url);
    gui(w)?.open(&url).await?;
    Ok(())
}

#[when(expr = "the administrator clicks {string} on the left panel")]
async fn click_panel(w: &mut GateWorld, text: String) -> anyhow::Result<()> {
    let href = {
        let p = page(w)?;
        let html = p.html();
        let links = selector("nav.panel a[href]")?;
        html.select(&links)
            .find(|a| squash(&a.text().collect::<String>()).eq_ignore_ascii_case(&text))
            .and_then(|a| a.value().attr("href").map(str::to_owned))
            .ok_or_else(|| anyhow::anyhow!("no {text:?} on the left panel: {}", describe(&p)))?
    };
    w.gui_fills.clear();
    w.gui_ticks.clear();
    gui(w)?.open_relative(&href).await?;
    Ok(())
}

/// Clicks a link, or a form button, by its text; a button submits its form with what was
/// typed since the last click.
#[when(expr = "the administrator clicks {string}")]
async fn click(w: &mut GateWorld, text: String) -> anyhow::Result<()> {
    let (link, form_id) = {
        let p = page(w)?;
        let html = p.html();
        let links = selector("main a[href]")?;
        let link = html
            .select(&links)
            .find(|a| squash(&a.text().collect::<String>()).eq_ignore_ascii_case(&text))
            .and_then(|a| a.value().attr("href").map(str::to_owned));
        let form_id = match link {
            Some(_) => None,
            None => Some(
                p.forms()?
                    .into_iter()
                    .find(|f| {
                        f.buttons
                            .iter()
                            .any(|b| b.label.eq_ignore_ascii_case(&text))
                    })
                    .and_then(|f| f.id)
                    .ok_or_else(|| {
                        anyhow::anyhow!("no link or button {text:?} on {}", describe(&p))
                    })?,
            ),
        };
        (link, form_id)
    };
    if let Some(href) = link {
        w.gui_fills.clear();
        w.gui_ticks.clear();
        gui(w)?.open_relative(&href).await?;
        return Ok(());
    }
    let form_id = form_id.unwrap_or_default();
    submit(w, &form_id, Some(&text)).await
}

/// Submits `form_id` with the pending values and ticks and the button labelled `button`.
async fn submit(w: &mut GateWorld, form_id: &str, button: Option<&str>) -> anyhow::Result<()> {
    let fills = std::mem::take(&mut w.gui_fills);
    let ticks = std::mem::take(&mut w.gui_ticks);
    let named: Vec<(String, String)> = {
        let html = page(w)?.html();
        fills
            .into_iter()
            .map(|(label, value)| {
                let name = field_name(&html, &label)?.unwrap_or(label);
                Ok((name, value))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let values: Vec<(&str, &str)> = named
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let ticks: Vec<(&str, &str)> = ticks
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    gui(w)?
        .submit_ticking(Some(form_id), &values, &ticks, button)
        .await?;
    Ok(())
}

#[when("the administrator presses Enter to accept the value")]
async fn accept_value(w: &mut GateWorld) -> anyhow::Result<()> {
    let form_id = {
        let p = page(w)?;
        p.forms()?
            .into_iter()
            .find(|f| f.buttons.iter().any(|b| b.value == "refresh"))
            .and_then(|f| f.id)
            .ok_or_else(|| anyhow::anyhow!("no form with a tag input on {}", describe(&p)))?
    };
    submit(w, &form_id, Some("refresh")).await
}

#[when(expr = "the administrator fills in {string} with {string}")]
async fn fill(w: &mut GateWorld, label: String, value: String) -> anyhow::Result<()> {
    let value = w.fill(&value)?;
    {
        let html = page(w)?.html();
        check!(
            field_name(&html, &label)?.is_some(),
            "no field labelled {label:?} on {}",
            describe(&page(w)?)
        );
    }
    w.gui_fills.push((label, value));
    Ok(())
}

/// The expression builder's field prefix on the page (`scope` or `acr`).
fn builder_prefix(p: &Page) -> anyhow::Result<&'static str> {
    if p.body.contains("id=\"scope-expression\"") {
        Ok("scope")
    } else if p.body.contains("id=\"acr-expression\"") {
        Ok("acr")
    } else {
        anyhow::bail!("no expression builder on {}", describe(p))
    }
}

fn condition(p: &Page, path: usize) -> anyhow::Result<String> {
    check!(path >= 1, "paths are numbered from 1");
    Ok(format!("{}.{}.0", builder_prefix(p)?, path - 1))
}

#[when(expr = "the administrator fills in path {int} with {string}")]
async fn fill_path(w: &mut GateWorld, path: usize, value: String) -> anyhow::Result<()> {
    let name = format!(
        "{}.{}.path",
        builder_prefix(&page(w)?)?,
        path.saturating_sub(1)
    );
    w.gui_fills.push((name, value));
    Ok(())
}

#[when(expr = "the administrator ticks the methods {string} of path {int}")]
async fn tick_methods(w: &mut GateWorld, methods: String, path: usize) -> anyhow::Result<()> {
    let c = condition(&page(w)?, path)?;
    for m in methods.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        w.gui_ticks.push((format!("{c}.methods"), m.to_owned()));
    }
    Ok(())
}

#[when(expr = "the administrator chooses {string} for the scopes of path {int}")]
async fn choose_op(w: &mut GateWorld, op: String, path: usize) -> anyhow::Result<()> {
    let c = condition(&page(w)?, path)?;
    w.gui_ticks
        .push((format!("{c}.g.op"), op.to_ascii_lowercase()));
    Ok(())
}

#[when(expr = "the administrator enters the scope {string} for path {int}")]
async fn enter_scope(w: &mut GateWorld, scope: String, path: usize) -> anyhow::Result<()> {
    let c = condition(&page(w)?, path)?;
    w.gui_fills.push((format!("{c}.g.new"), scope));
    Ok(())
}

#[when(expr = "the administrator enters the ACR {string} for path {int}")]
async fn enter_acr(w: &mut GateWorld, acr: String, path: usize) -> anyhow::Result<()> {
    let c = condition(&page(w)?, path)?;
    w.gui_fills.push((format!("{c}.acrs.new"), acr));
    Ok(())
}

/// "You will see Gluu OIDC & UMA PEP title and + icon": the + of the card with that title.
#[when(expr = "the administrator clicks the + of {string}")]
async fn click_plus(w: &mut GateWorld, title: String) -> anyhow::Result<()> {
    let href = {
        let p = page(w)?;
        let html = p.html();
        let cards = selector(".plugin-card")?;
        let h3 = selector("h3")?;
        let plus = selector("a.plus")?;
        html.select(&cards)
            .find(|c| {
                c.select(&h3)
                    .next()
                    .is_some_and(|h| squash(&h.text().collect::<String>()) == title)
            })
            .and_then(|c| c.select(&plus).next())
            .and_then(|a| a.value().attr("href").map(str::to_owned))
            .ok_or_else(|| {
                anyhow::anyhow!("no plugin titled {title:?} with a +: {}", describe(&p))
            })?
    };
    gui(w)?.open_relative(&href).await?;
    Ok(())
}

#[then(expr = "the Admin GUI says {string}")]
async fn says(w: &mut GateWorld, text: String) -> anyhow::Result<()> {
    let p = page(w)?;
    check!(p.status < 400, "the GUI answered {}", describe(&p));
    check!(
        p.text().contains(&text),
        "{text:?} is not on the page: {}",
        describe(&p)
    );
    Ok(())
}

#[then(expr = "the Admin GUI shows the error {string} next to {string}")]
async fn error_next_to(w: &mut GateWorld, message: String, label: String) -> anyhow::Result<()> {
    let p = page(w)?;
    let html = p.html();
    let name = field_name(&html, &label)?.unwrap_or(label);
    let name = name.strip_suffix(".new").unwrap_or(&name).to_owned();
    let sel = selector(".field-error")?;
    let shown = html
        .select(&sel)
        .find(|e| e.value().attr("id") == Some(&format!("err-{name}")))
        .map(|e| squash(&e.text().collect::<String>()));
    check!(
        shown.as_deref() == Some(message.as_str()),
        "the error next to {name} is {shown:?}: {}",
        describe(&p)
    );
    Ok(())
}

/// "Copy all the details, let's call it consumer_op_client".
#[when(expr = "the administrator copies the client details as {string}")]
async fn copy_client(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let (id, secret) = {
        let p = page(w)?;
        let id = p.text_of("#client_id")?.filter(|s| !s.is_empty());
        let secret = p.text_of("#client_secret")?.filter(|s| !s.is_empty());
        match (id, secret) {
            (Some(i), Some(s)) => (i, s),
            _ => anyhow::bail!("no client details on {}", describe(&p)),
        }
    };
    w.copied_clients.retain(|(n, _, _)| n != &name);
    w.copied_clients.push((name, id, secret));
    Ok(())
}

#[when(expr = "the administrator fills in {string} with the client id of {string}")]
async fn fill_client_id(w: &mut GateWorld, label: String, name: String) -> anyhow::Result<()> {
    let id = w
        .copied_clients
        .iter()
        .find(|(n, _, _)| n == &name)
        .map(|(_, id, _)| id.clone())
        .ok_or_else(|| anyhow::anyhow!("no client details were copied as {name:?}"))?;
    w.gui_fills.push((label, id));
    Ok(())
}
