//! The console in a real browser: headless Chromium, driven through chromedriver, against an
//! in-process kmsd whose keys the SDK made. Each test saves screenshots of the views it visits
//! under `target/tmp/console/` (`support::browser::SCREENSHOTS`); README's picture of the keys
//! view is one of them. Skipped without Chromium and chromedriver, except under `CI=true`.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use serde_json::{Value, json};

use crate::support::TestServer;
use crate::support::browser::{Browser, key};
use crate::support::keys::{create_alias, create_key_with};
use crate::support::lifecycle::{enable_rotation, schedule_deletion};
use crate::support::{check_error, create_key, key_state};

/// Keys in several states, with aliases, descriptions and rotation; returns
/// (enabled, pending deletion, disabled) key ids.
async fn populate(server: &TestServer) -> (String, String, String) {
    let client = server.client();
    let orders = client
        .create_key()
        .description("orders service")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("payments")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    create_alias(&client, "alias/orders", &orders).await;
    enable_rotation(&client, &orders, Some(180)).await;
    let old = create_key(&client).await;
    client
        .update_key_description()
        .key_id(&old)
        .description("legacy data")
        .send()
        .await
        .unwrap();
    create_alias(&client, "alias/legacy", &old).await;
    schedule_deletion(&client, &old, Some(7)).await;
    let signer = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    client
        .update_key_description()
        .key_id(&signer)
        .description("release signing")
        .send()
        .await
        .unwrap();
    create_alias(&client, "alias/release-signing", &signer).await;
    client.disable_key().key_id(&signer).send().await.unwrap();
    let mac = create_key_with(&client, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    client
        .update_key_description()
        .key_id(&mac)
        .description("webhook signatures")
        .send()
        .await
        .unwrap();
    client
        .create_grant()
        .key_id(&orders)
        .grantee_principal("arn:aws:iam::123456789012:role/orders-app")
        .operations(aws_sdk_kms::types::GrantOperation::Encrypt)
        .operations(aws_sdk_kms::types::GrantOperation::Decrypt)
        .name("orders-app")
        .send()
        .await
        .unwrap();
    (orders, old, signer)
}

/// The rows of the keys table as the page shows them: id, state, aliases text.
async fn rows(browser: &Browser) -> Vec<Value> {
    browser
        .eval(
            "return [...document.querySelectorAll('#keys-table tbody tr')].map(tr => ({
               id: tr.dataset.keyId,
               state: tr.querySelector('.state .badge').dataset.state,
               stateText: tr.querySelector('.state').innerText,
               aliases: tr.querySelector('.aliases').innerText,
               spec: tr.querySelector('.spec').innerText,
               rotation: tr.querySelector('.rotation').innerText,
             }));",
            json!([]),
        )
        .await
        .as_array()
        .unwrap()
        .clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row for {id} in {rows:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_show_keys_states_aliases_and_grants() {
    let Some(browser) = Browser::start(1400, 720).await else {
        return;
    };
    let server = TestServer::start().await;
    let (orders, old, signer) = populate(&server).await;
    browser
        .goto(&format!("{}/_kmsd/ui", server.endpoint()))
        .await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 4")
        .await;
    let shown = rows(&browser).await;
    assert_eq!(row(&shown, &orders)["state"], "Enabled");
    assert_eq!(row(&shown, &orders)["aliases"], "alias/orders");
    assert!(
        row(&shown, &orders)["rotation"]
            .as_str()
            .unwrap()
            .starts_with("on, every 180 d; next ")
    );
    assert_eq!(row(&shown, &old)["state"], "PendingDeletion");
    // The deletion date is in the state's cell.
    let deletion = server
        .client()
        .describe_key()
        .key_id(&old)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .deletion_date
        .unwrap();
    let day = browser
        .eval(
            "return new Date(arguments[0] * 1000).toISOString().slice(0, 10);",
            json!([deletion.secs()]),
        )
        .await;
    let day = day.as_str().unwrap();
    assert!(
        row(&shown, &old)["stateText"]
            .as_str()
            .unwrap()
            .contains(day),
        "{:?} lacks {day}",
        row(&shown, &old)
    );
    assert_eq!(row(&shown, &signer)["state"], "Disabled");
    assert_eq!(row(&shown, &signer)["spec"], "ECC_NIST_P256");
    // Each state has its own colour.
    let colours = browser
        .eval(
            "return ['Enabled', 'Disabled', 'PendingDeletion'].map(s =>
               getComputedStyle(document.querySelector(`.badge[data-state=${s}]`)).color);",
            json!([]),
        )
        .await;
    let colours: Vec<&str> = colours
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2],
        "{colours:?}"
    );
    // Nothing was loaded from anywhere but kmsd.
    let foreign = browser
        .eval(
            "return performance.getEntriesByType('resource').map(e => e.name)
               .filter(n => !n.startsWith(location.origin));",
            json!([]),
        )
        .await;
    assert_eq!(foreign, json!([]));
    browser.screenshot("console-keys").await;

    // Filters: text (an alias), state, spec.
    browser.fill("#filter-text", "legacy").await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 1")
        .await;
    assert_eq!(rows(&browser).await[0]["id"], old.as_str());
    browser.fill("#filter-text", "").await;
    browser
        .eval(
            "const s = document.getElementById('filter-state'); s.value = 'Disabled';
             s.dispatchEvent(new Event('change'));",
            json!([]),
        )
        .await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 1")
        .await;
    assert_eq!(rows(&browser).await[0]["id"], signer.as_str());
    browser
        .eval(
            "const s = document.getElementById('filter-state'); s.value = '';
             s.dispatchEvent(new Event('change'));
             const p = document.getElementById('filter-spec'); p.value = 'HMAC_256';
             p.dispatchEvent(new Event('change'));",
            json!([]),
        )
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#keys-table tbody tr').length === 1 &&
             document.querySelector('#keys-table tbody .spec').innerText === 'HMAC_256'",
        )
        .await;
    browser
        .eval(
            "const p = document.getElementById('filter-spec'); p.value = '';
             p.dispatchEvent(new Event('change'));",
            json!([]),
        )
        .await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 4")
        .await;

    // Sorting: by state, ascending, then descending.
    browser.click("button[data-sort='keyState']").await;
    browser
        .wait_for("document.querySelector('th[aria-sort=ascending] [data-sort=keyState]')")
        .await;
    let states: Vec<String> = rows(&browser)
        .await
        .iter()
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        states,
        ["Disabled", "Enabled", "Enabled", "PendingDeletion"]
    );
    browser.click("button[data-sort='keyState']").await;
    browser
        .wait_for("document.querySelector('th[aria-sort=descending] [data-sort=keyState]')")
        .await;
    assert_eq!(rows(&browser).await[0]["state"], "PendingDeletion");

    // A key's page.
    browser.click(&format!("a[href='#key/{orders}']")).await;
    browser
        .wait_for("document.getElementById('key-facts')")
        .await;
    let page = browser
        .eval(
            "return {
               keyId: document.querySelector('[data-member=KeyId]').innerText,
               description: document.querySelector('[data-member=Description]').innerText,
               aliases: document.getElementById('key-aliases').innerText,
               tags: document.getElementById('key-tags').innerText,
               policy: document.getElementById('key-policy').innerText,
               grants: document.getElementById('key-grants').innerText,
               materials: document.querySelectorAll('#key-materials tbody tr').length,
               timeline: document.getElementById('timeline').innerText,
             };",
            json!([]),
        )
        .await;
    assert_eq!(page["keyId"], orders.as_str());
    assert_eq!(page["description"], "orders service");
    assert!(page["aliases"].as_str().unwrap().contains("alias/orders"));
    assert!(page["tags"].as_str().unwrap().contains("payments"));
    assert!(
        page["policy"]
            .as_str()
            .unwrap()
            .contains("\"Version\": \"2012-10-17\"")
    );
    assert!(page["grants"].as_str().unwrap().contains("orders-app"));
    assert_eq!(page["materials"], 1);
    assert!(
        page["timeline"]
            .as_str()
            .unwrap()
            .contains("Next automatic rotation (every 180 days)")
    );
    browser.screenshot("console-key").await;
    // The key pending deletion shows its deletion on the timeline.
    browser
        .goto(&format!("{}/_kmsd/ui#key/{old}", server.endpoint()))
        .await;
    browser
        .wait_for("document.getElementById('timeline')?.innerText.includes('Scheduled deletion')")
        .await;

    browser.click("a[data-view='aliases']").await;
    browser
        .wait_for("document.getElementById('aliases-table')")
        .await;
    let aliases = browser
        .eval(
            "return [...document.querySelectorAll('#aliases-table tbody tr')]
               .map(tr => tr.dataset.alias);",
            json!([]),
        )
        .await;
    assert_eq!(
        aliases,
        json!(["alias/legacy", "alias/orders", "alias/release-signing"])
    );
    browser.screenshot("console-aliases").await;
    browser.click("a[data-view='grants']").await;
    browser
        .wait_for("document.getElementById('grants-table')")
        .await;
    let grants = browser
        .eval(
            "return document.getElementById('grants-table').innerText;",
            json!([]),
        )
        .await;
    assert!(grants.as_str().unwrap().contains("orders-app"), "{grants}");
    browser.screenshot("console-grants").await;

    // A narrow window: the table becomes cards and nothing scrolls sideways.
    browser.resize(390, 844).await;
    browser.click("a[data-view='keys']").await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 4")
        .await;
    let fits = browser
        .eval(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(fits, true);
    browser.screenshot("console-keys-narrow").await;
    browser.quit().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_and_reset_work_from_the_page_and_it_follows_changes() {
    let Some(browser) = Browser::start(1200, 900).await else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let (orders, old, _) = populate(&server).await;
    browser
        .goto(&format!("{}/_kmsd/ui", server.endpoint()))
        .await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 4")
        .await;
    // Live: a key made through the SDK appears without a reload.
    browser.eval("window.notReloaded = true;", json!([])).await;
    let fresh = create_key(&client).await;
    browser
        .wait_for(&format!(
            "document.querySelector(\"#keys-table tr[data-key-id='{fresh}']\")"
        ))
        .await;
    assert_eq!(
        browser.eval("return window.notReloaded;", json!([])).await,
        true
    );

    // The clock: eight days would delete the key pending deletion, and the page says so
    // before anything happens.
    browser.click("a[data-view='clock']").await;
    browser
        .wait_for("document.getElementById('advance-amount')")
        .await;
    browser.fill("#advance-amount", "8").await;
    browser
        .wait_for(&format!(
            "document.getElementById('preview-delete')?.innerText.includes('{old}')"
        ))
        .await;
    let preview = browser
        .eval(
            "return document.getElementById('preview-rotate').innerText;",
            json!([]),
        )
        .await;
    assert!(preview.as_str().unwrap().contains("none"), "{preview}");
    assert_eq!(key_state(&client, &old).await, "PendingDeletion");
    browser.screenshot("console-clock").await;
    browser.click("#advance").await;
    browser
        .wait_for(&format!(
            "document.getElementById('result-deleted')?.innerText.includes('{old}')"
        ))
        .await;
    // The SDK agrees, and the clock moved eight days.
    check_error(
        client.describe_key().key_id(&old).send().await,
        "NotFoundException",
    );
    assert_eq!(server.clock().await["offsetSeconds"], 8 * 86_400);
    browser.screenshot("console-clock-advanced").await;
    // The keys view no longer lists it.
    browser.click("a[data-view='keys']").await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 4")
        .await;
    let shown = rows(&browser).await;
    assert!(shown.iter().all(|r| r["id"] != old.as_str()), "{shown:?}");
    assert!(shown.iter().any(|r| r["id"] == orders.as_str()));

    // Reset: cancelling changes nothing; confirming forgets everything.
    browser.click("a[data-view='clock']").await;
    browser.wait_for("document.getElementById('reset')").await;
    browser.click("#reset").await;
    browser
        .wait_for("document.getElementById('confirm-reset').open")
        .await;
    browser.screenshot("console-reset-confirm").await;
    browser.click("#reset-cancel").await;
    browser
        .wait_for("!document.getElementById('confirm-reset').open")
        .await;
    assert_eq!(client.list_keys().send().await.unwrap().keys().len(), 4);
    browser.click("#reset").await;
    browser
        .wait_for("document.getElementById('confirm-reset').open")
        .await;
    browser.click("#reset-confirm").await;
    browser
        .wait_for("document.getElementById('reset-result')")
        .await;
    assert!(client.list_keys().send().await.unwrap().keys().is_empty());
    browser.click("a[data-view='keys']").await;
    browser
        .wait_for("document.getElementById('keys-count')?.innerText === '0 of 0 keys'")
        .await;
    browser.quit().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_from_the_keyboard() {
    let Some(browser) = Browser::start(1200, 900).await else {
        return;
    };
    let server = TestServer::start().await;
    let (orders, old, _) = populate(&server).await;
    browser
        .goto(&format!("{}/_kmsd/ui", server.endpoint()))
        .await;
    browser
        .wait_for("document.querySelectorAll('#keys-table tbody tr').length === 4")
        .await;
    let focused =
        "return document.activeElement.getAttribute('href') || document.activeElement.id;";
    // Tab from the top of the page to the link of a key, then Enter opens its page.
    let target = format!("#key/{orders}");
    let mut reached = false;
    for _ in 0..60 {
        browser.press(&[key::TAB]).await;
        if browser.eval(focused, json!([])).await == target.as_str() {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the link to {orders}");
    browser.press(&[key::ENTER]).await;
    browser
        .wait_for(&format!(
            "document.querySelector('[data-member=KeyId]')?.innerText === '{orders}'"
        ))
        .await;

    // The clock view: type an amount, submit with Enter.
    browser
        .goto(&format!("{}/_kmsd/ui#clock", server.endpoint()))
        .await;
    browser
        .wait_for("document.getElementById('advance-amount')")
        .await;
    browser
        .eval(
            "const field = document.getElementById('advance-amount');
             field.value = ''; field.focus();",
            json!([]),
        )
        .await;
    browser.press(&["8"]).await;
    browser
        .wait_for(&format!(
            "document.getElementById('preview-delete')?.innerText.includes('{old}') &&
             document.activeElement.id === 'advance-amount'"
        ))
        .await;
    browser.press(&[key::ENTER]).await;
    browser
        .wait_for("document.getElementById('result-deleted')")
        .await;
    assert_eq!(server.clock().await["offsetSeconds"], 8 * 86_400);

    // Reset's confirmation opens with the keyboard and Escape dismisses it.
    browser
        .eval("document.getElementById('reset').focus();", json!([]))
        .await;
    browser.press(&[key::ENTER]).await;
    browser
        .wait_for(
            "document.getElementById('confirm-reset').open &&
             document.activeElement.id === 'reset-cancel'",
        )
        .await;
    browser.press(&[key::ESCAPE]).await;
    browser
        .wait_for("!document.getElementById('confirm-reset').open")
        .await;
    assert_eq!(
        server
            .client()
            .list_keys()
            .send()
            .await
            .unwrap()
            .keys()
            .len(),
        3
    );
    browser.quit().await;
    server.stop().await;
}
