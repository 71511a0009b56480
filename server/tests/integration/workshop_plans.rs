//! Plans a workshop writes for its customers: the plan becomes one of the
//! customer's own plan records, pulled by their devices; the workshop
//! follows the customer's progress on it; nobody else's customers are
//! reached.

use axum::http::{Method, StatusCode};
use ridewire_engine::event::EventKind;
use serde_json::{Value, json};

use crate::common::{Device, Reply, TestServer};
use crate::workshops::{accept, code, workshop};

const PLAN: &str = "# Before the tour\n\nChecks for the Alps.\n\n## The bike\n\n\
- [ ] Oil level #easy\n- [ ] Chain tension and lube #easy\n    - [ ] Slack measured\n    - [ ] Lubed\n\
- [ ] Lights and horn #easy\n";

async fn send(server: &TestServer, token: &str, shop: &str, body: Value) -> Reply {
    let path = format!("/api/v1/workshops/{shop}/plans");
    server
        .call(Method::POST, &path, Some(token), Some(body))
        .await
}

async fn sent(server: &TestServer, token: &str, shop: &str) -> Reply {
    let path = format!("/api/v1/workshops/{shop}/plans");
    server.call(Method::GET, &path, Some(token), None).await
}

/// A rider with a bike who joined `shop` sharing `shares`: their token and
/// account number.
async fn customer(
    server: &TestServer,
    owner: &str,
    shop: &str,
    email: &str,
    shares: Value,
) -> (String, i64) {
    let rider = server.user(email).await;
    let bike = server
        .call(
            Method::PUT,
            "/api/v1/records",
            Some(&rider),
            Some(
                json!({"kind": "vehicle", "key": "bike-1", "base_version": 0,
                "changes": {"make": "Yamaha", "model": "Ténéré 700", "year": 2023}}),
            ),
        )
        .await;
    assert_eq!(bike.status, StatusCode::OK, "{:?}", bike.body);
    let body = json!({"code": code(server, owner, shop, "customer").await, "shares": shares});
    let joined = accept(server, &rider, body).await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
    let me = server
        .call(Method::GET, "/api/v1/me", Some(&rider), None)
        .await;
    (rider, me.body["id"].as_i64().expect("account id"))
}

#[tokio::test]
async fn a_plan_sent_to_a_customer_reaches_their_devices_and_their_progress_comes_back() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let shop = workshop(&server, &owner, "Moto Alp").await;
    let (rider, id) = customer(&server, &owner, &shop, "rider@moto.test", json!(["bikes"])).await;

    let made = send(
        &server,
        &owner,
        &shop,
        json!({"customer": id, "bike": "bike-1", "markdown": PLAN}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["title"], "Before the tour");
    assert_eq!(made.body["quests"], 3);
    assert_eq!(made.body["done"], 0);
    let key = made.body["key"].as_str().expect("key").to_owned();

    // The rider's devices pull it as one of their own plans, from the shop.
    let page = server.pull(&rider, "", None).await;
    let record = page.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["type"] == "record" && c["record"]["key"] == key.as_str())
        .unwrap_or_else(|| panic!("no plan record in {:?}", page.body))["record"]
        .clone();
    assert_eq!(record["kind"], "plan");
    assert_eq!(record["fields"]["from"]["value"], "Moto Alp");
    assert_eq!(record["fields"]["bike"]["value"], "bike-1");
    assert_eq!(record["fields"]["md.0"]["value"], PLAN);

    // The rider does the oil: the workshop sees one of three done.
    let plan = ridewire_engine::plan::parse(PLAN)
        .expect("plan")
        .in_namespace(&key);
    let catalog = plan.to_catalog().expect("catalog");
    let oil = catalog
        .quests()
        .find(|q| q.title == "Oil level")
        .expect("the oil quest")
        .id
        .clone();
    let mut phone = Device::new(3);
    let done = phone.next(EventKind::QuestCompleted { quest: oil.clone() });
    let pushed = server.push(&rider, phone.id(), &[done]).await;
    assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    let list = sent(&server, &owner, &shop).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["plans"][0]["key"], key.as_str());
    assert_eq!(list.body["plans"][0]["done"], 1, "{:?}", list.body);
    assert_eq!(list.body["plans"][0]["proved"], 0, "{:?}", list.body);
    assert_eq!(list.body["plans"][0]["customer"], id);

    // A photo of the oil's dipstick: the workshop sees it proved.
    let jpeg = crate::photos::picture(64, 48, 90);
    let photo = crate::photos::proof(&jpeg, 64, 48);
    let uploaded = crate::photos::upload(&server, &rider, &photo.sha256, &jpeg).await;
    assert!(uploaded.status.is_success(), "{:?}", uploaded.body);
    let proof = phone.next(EventKind::PhotoSubmitted { quest: oil, photo });
    let pushed = server.push(&rider, phone.id(), &[proof]).await;
    assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    assert!(
        pushed.body["rejected"].as_array().is_none_or(Vec::is_empty),
        "{:?}",
        pushed.body
    );
    let list = sent(&server, &owner, &shop).await;
    assert_eq!(list.body["plans"][0]["proved"], 1, "{:?}", list.body);
}

#[tokio::test]
async fn plans_reach_only_the_workshops_own_customers_and_only_what_they_share() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let shop = workshop(&server, &owner, "Moto Alp").await;
    let (_, bikes_hidden) = customer(
        &server,
        &owner,
        &shop,
        "quiet@moto.test",
        json!(["diagnoses"]),
    )
    .await;
    let stranger = server.user("stranger@moto.test").await;
    let me = server
        .call(Method::GET, "/api/v1/me", Some(&stranger), None)
        .await;
    let stranger_id = me.body["id"].as_i64().expect("id");
    let other_owner = server.user("other@moto.test").await;
    let other = workshop(&server, &other_owner, "Moto Elsewhere").await;

    let hidden = send(
        &server,
        &owner,
        &shop,
        json!({"customer": bikes_hidden, "bike": "bike-1", "markdown": PLAN}),
    )
    .await;
    assert_eq!(hidden.status, StatusCode::BAD_REQUEST, "{:?}", hidden.body);
    assert_eq!(hidden.body["error"]["code"], "unknown_bike");
    let not_ours = send(
        &server,
        &owner,
        &shop,
        json!({"customer": stranger_id, "markdown": PLAN}),
    )
    .await;
    assert_eq!(
        not_ours.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        not_ours.body
    );
    let elsewhere = send(
        &server,
        &other_owner,
        &other,
        json!({"customer": bikes_hidden, "markdown": PLAN}),
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        elsewhere.body
    );
    let broken = send(
        &server,
        &owner,
        &shop,
        json!({"customer": bikes_hidden, "markdown": "no plan here"}),
    )
    .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{:?}", broken.body);
    assert_eq!(broken.body["error"]["code"], "invalid_plan");
    // Without a bike it goes to the customer's plans all the same.
    let fine = send(
        &server,
        &owner,
        &shop,
        json!({"customer": bikes_hidden, "markdown": PLAN}),
    )
    .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{:?}", fine.body);
    let list = sent(&server, &other_owner, &shop).await;
    assert_eq!(
        list.status,
        StatusCode::NOT_FOUND,
        "another workshop is not told this one exists"
    );
    let list = sent(&server, &other_owner, &other).await;
    assert_eq!(list.body["plans"], json!([]));
}

#[tokio::test]
async fn a_workshop_keeps_its_own_templates_for_its_customers() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let shop = workshop(&server, &owner, "Moto Alp").await;
    let (rider, _) = customer(&server, &owner, &shop, "rider@moto.test", json!(["bikes"])).await;
    let other_owner = server.user("other@moto.test").await;
    let other = workshop(&server, &other_owner, "Moto Elsewhere").await;
    let at = |name: &str| format!("/api/v1/workshops/{shop}/templates/{name}");

    let saved = server
        .call(
            Method::PUT,
            &at("before-the-tour"),
            Some(&owner),
            Some(json!({"markdown": PLAN})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["title"], "Before the tour");
    // Its customers see it; nobody outside the workshop does.
    let list = format!("/api/v1/workshops/{shop}/templates");
    let seen = server.call(Method::GET, &list, Some(&rider), None).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(seen.body["templates"][0]["name"], "before-the-tour");
    assert_eq!(seen.body["templates"][0]["markdown"], PLAN);
    let outside = server
        .call(Method::GET, &list, Some(&other_owner), None)
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let theirs = format!("/api/v1/workshops/{other}/templates");
    let empty = server
        .call(Method::GET, &theirs, Some(&other_owner), None)
        .await;
    assert_eq!(empty.body["templates"], json!([]));
    // A customer does not write them; a plan that does not read is refused.
    let refused = server
        .call(
            Method::PUT,
            &at("mine"),
            Some(&rider),
            Some(json!({"markdown": PLAN})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    let broken = server
        .call(
            Method::PUT,
            &at("broken"),
            Some(&owner),
            Some(json!({"markdown": "just words"})),
        )
        .await;
    assert_eq!(
        broken.body["error"]["code"], "invalid_plan",
        "{:?}",
        broken.body
    );
    let badly_named = server
        .call(
            Method::PUT,
            &at("Not-A-Slug"),
            Some(&owner),
            Some(json!({"markdown": PLAN})),
        )
        .await;
    assert_eq!(
        badly_named.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        badly_named.body
    );
    // Saving under the same name replaces it.
    let edited = PLAN.replace("Alps", "Dolomites");
    let again = server
        .call(
            Method::PUT,
            &at("before-the-tour"),
            Some(&owner),
            Some(json!({"markdown": edited})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let seen = server.call(Method::GET, &list, Some(&rider), None).await;
    assert_eq!(seen.body["templates"].as_array().map(Vec::len), Some(1));
    assert_eq!(seen.body["templates"][0]["markdown"], edited);
}
